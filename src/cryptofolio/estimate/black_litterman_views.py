"""Black-Litterman as an estimation choice: the views and parameters an optimiser
configuration carries, turned into a posterior at a decision date, point in time.

:class:`BlackLittermanViews` is what ``PortfolioConfig(expected_returns="black-litterman",
black_litterman=...)`` holds; :func:`~cryptofolio.optimize.build_portfolio` calls
:meth:`BlackLittermanViews.posterior_at` with the window's last timestamp as the decision date,
so the prior's market caps are those of that row or before (never later), and a backtest
strategy calls it at every rebalance with the history strictly before the decision.
Units: annualised fractions (0.40 = 40 % a year).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cryptofolio.errors import EstimationError
from cryptofolio.estimate.black_litterman import (
    DEFAULT_TAU,
    BlackLitterman,
    BlackLittermanPosterior,
    OmegaMethod,
    black_litterman_posterior_at,
)
from cryptofolio.estimate.views import Views


@dataclass(frozen=True)
class BlackLittermanViews:
    """Views with the Black-Litterman parameters, for an optimiser configuration.

    Attributes
    ----------
    views
        The investor's views (:func:`~cryptofolio.estimate.views.make_views`,
        :func:`~cryptofolio.estimate.read_views`), not yet aligned to a universe.
    tau
        Scale of the prior mean's uncertainty (``tau S``), positive.
    omega
        ``he-litterman``, ``idzorek``, or ``None`` (idzorek when every view has a confidence).
    market_risk_aversion
        δ of the prior ``pi = δ S w_mkt + rf``; ``None``: estimated at each decision from the
        cap-weighted market proxy of the estimation window (previous row's caps).
    """

    views: Views
    tau: float = DEFAULT_TAU
    omega: OmegaMethod | None = None
    market_risk_aversion: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.views, Views):
            raise EstimationError(
                "black_litterman needs Views (make_views(...) or read_views(FILE)), got "
                f"{type(self.views).__name__}"
            )
        self.model()  # checks tau, omega and the risk aversion now

    def model(self, risk_free_rate: float = 0.0) -> BlackLitterman:
        """The :class:`~cryptofolio.estimate.black_litterman.BlackLitterman` of these
        parameters with ``risk_free_rate`` (annual fraction)."""
        return BlackLitterman(
            tau=self.tau,
            omega=self.omega,
            risk_aversion=self.market_risk_aversion,
            risk_free_rate=risk_free_rate,
        )

    def assets(self) -> list[str]:
        """Every asset the views name, in order of first mention."""
        seen: dict[str, None] = {}
        for view in self.views.views:
            for asset, _ in view.terms:
                seen.setdefault(asset, None)
        return list(seen)

    def on_assets(self, assets: list[str]) -> tuple[BlackLittermanViews, list[str]]:
        """These views restricted to those whose assets are all in ``assets`` (a backtest's
        eligible assets at a decision), and the labels of the views left out."""
        known = set(assets)
        kept = tuple(v for v in self.views.views if all(a in known for a, _ in v.terms))
        left_out = [v.label for v in self.views.views if v not in kept]
        return replace(self, views=replace(self.views, views=kept, assets=None)), left_out

    def posterior_at(
        self,
        covariance: pd.DataFrame,
        market_caps: pd.DataFrame,
        date: pd.Timestamp,
        *,
        returns: pd.DataFrame | None = None,
        risk_free_rate: float = 0.0,
        periods_per_year: float = 365.0,
    ) -> BlackLittermanPosterior:
        """The posterior at the decision ``date`` for an annualised, labelled ``covariance``:
        caps of the last row of ``market_caps`` (rows = UTC timestamps, columns = assets) at
        or before ``date``; δ given or from the cap-weighted proxy of the periodic
        ``returns`` (``T x n``, the estimation window).

        Raises
        ------
        DataError, EstimationError
            Caps missing or zero (names the assets and the date), views on assets outside
            the covariance, no way to set δ, a non-positive implied δ, singular views.
        """
        if not isinstance(market_caps, pd.DataFrame):
            raise EstimationError(
                "black-litterman expected returns need the market caps (a frame: rows = UTC "
                "timestamps, columns = assets), e.g. build_portfolio(..., "
                "market_caps=panels.market_cap)"
            )
        return black_litterman_posterior_at(
            self.model(risk_free_rate),
            covariance,
            self.views,
            market_caps,
            date,
            returns=returns,
            periods_per_year=periods_per_year,
        )


def posterior_of_window(
    spec: BlackLittermanViews,
    x: np.ndarray,
    prices: pd.DataFrame,
    covariance: np.ndarray,
    market_caps: pd.DataFrame | None,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 365.0,
) -> BlackLittermanPosterior:
    """The posterior of a price window: ``x`` its periodic returns (``(T - 1) x n``, rows
    ``prices.index[1:]``), ``covariance`` their annualised covariance (``n x n`` values), the
    decision date the window's last timestamp (the caps read are at or before it)."""
    names = prices.columns
    cov = pd.DataFrame(covariance, index=names, columns=names)
    returns = pd.DataFrame(x, index=prices.index[1:], columns=names)
    return spec.posterior_at(
        cov,
        market_caps,  # type: ignore[arg-type]  (None: a named error)
        prices.index[-1],
        returns=returns,
        risk_free_rate=risk_free_rate,
        periods_per_year=periods_per_year,
    )
