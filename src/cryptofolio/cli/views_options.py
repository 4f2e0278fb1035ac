"""``--expected-returns black-litterman --views FILE [--tau T] [--market-risk-aversion δ]``:
the options (one group, shared by ``optimize``, ``backtest``, ``rebalance`` and ``allocate``),
the :class:`~cryptofolio.estimate.BlackLittermanViews` they put in the configuration, and
``optimize``'s posterior at the window's last date."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import DataOptions
from cryptofolio.data import to_panels
from cryptofolio.errors import DataError
from cryptofolio.estimate import (
    BlackLittermanPosterior,
    BlackLittermanViews,
    ExpectedReturnsMethod,
    Window,
    read_views,
    risk_matrix,
)
from cryptofolio.estimate.black_litterman import DEFAULT_TAU
from cryptofolio.optimize import EstimationInputs, PortfolioConfig

ViewsOpt = Annotated[
    Path | None,
    typer.Option(
        "--views",
        help="Black-Litterman views, TOML or CSV (absolute and relative, annual fractions, "
        "confidence 0-100 % optional: Idzorek when every view has one); with "
        "--expected-returns black-litterman. See examples/views.toml.",
    ),
]
TauOpt = Annotated[
    float,
    typer.Option("--tau", help="Black-Litterman τ: uncertainty of the prior mean (τΣ)."),
]
MarketRiskAversionOpt = Annotated[
    float | None,
    typer.Option(
        "--market-risk-aversion",
        help="δ of the Black-Litterman prior π = δΣw_mkt; default estimated from the "
        "cap-weighted market proxy of the estimation window.",
    ),
]


@dataclass(frozen=True)
class ViewsOptions:
    """The Black-Litterman options as given: views file, τ, the market's δ (``None``:
    estimated)."""

    views: Path | None = None
    tau: float = DEFAULT_TAU
    market_risk_aversion: float | None = None

    def apply(self, config: PortfolioConfig) -> PortfolioConfig:
        """``config`` with the views of ``--views`` (read now) when it asks for
        black-litterman expected returns.

        Raises
        ------
        DataError
            ``--views`` without ``--expected-returns black-litterman`` or the other way round,
            ``--market-risk-aversion`` without views, a non-positive ``--tau`` or δ.
        """
        wants = config.expected_returns == ExpectedReturnsMethod.BLACK_LITTERMAN
        if not wants:
            if self.views is not None:
                raise DataError("--views needs --expected-returns black-litterman")
            if self.market_risk_aversion is not None:
                raise DataError(
                    "--market-risk-aversion needs --expected-returns black-litterman --views FILE"
                )
            return config
        if self.views is None:
            raise DataError(
                "--expected-returns black-litterman needs --views FILE (TOML or CSV; see "
                "examples/views.toml)"
            )
        if not self.tau > 0:
            raise DataError(f"--tau must be positive (0.05 is usual), got {self.tau:g}")
        delta = self.market_risk_aversion
        if delta is not None and not delta > 0:
            raise DataError(f"--market-risk-aversion must be positive, got {delta:g}")
        spec = BlackLittermanViews(read_views(self.views), tau=self.tau, market_risk_aversion=delta)
        return dataclasses.replace(config, black_litterman=spec)


with_views_options = with_option_group(
    "black_litterman",
    [
        keyword_option("views", ViewsOpt, None),
        keyword_option("tau", TauOpt, DEFAULT_TAU),
        keyword_option("market_risk_aversion", MarketRiskAversionOpt, None),
    ],
    lambda values: ViewsOptions(**values),
    what="Black-Litterman",
)


def views_posterior(
    data: DataOptions, window: Window, inputs: EstimationInputs, config: PortfolioConfig
) -> BlackLittermanPosterior | None:
    """The posterior of ``config.black_litterman`` (``None`` without views): the prior from
    the market caps at the window's last date, the covariance of ``config.risk_model``."""
    spec = config.black_litterman
    if spec is None:
        return None
    caps = to_panels(data.load(start=data.start)).market_cap
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    return spec.posterior_at(
        cov,
        caps,
        window.end,
        returns=inputs.returns,
        risk_free_rate=config.risk_free_rate,
        periods_per_year=inputs.periods_per_year,
    )


def posterior_record(post: BlackLittermanPosterior) -> dict[str, Any]:
    """The ``black_litterman`` field of ``optimize --format json`` (annualised fractions)."""
    return {
        "risk_aversion": post.risk_aversion,
        "market_weights": {str(k): float(v) for k, v in post.market_weights.items()},
        "prior": {str(k): float(v) for k, v in post.prior.items()},
        "posterior": {str(k): float(v) for k, v in post.mean.items()},
    }
