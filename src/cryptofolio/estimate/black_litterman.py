"""Black-Litterman: a market-implied prior blended with the investor's views.

Units: annualised fractions throughout (0.40 = 40 % a year); the covariance ``S`` is annualised
(``(n, n)``), periodic returns are only used to estimate the risk aversion from a market proxy.

* prior (reverse optimisation): ``pi = delta S w_mkt + rf``, ``w_mkt`` the market-cap weights at
  the decision date, ``delta`` the market's risk aversion, ``(E[r_m] - rf) / var(r_m)``;
* views ``P mu = Q + eps``, ``eps ~ N(0, Omega)`` (:mod:`cryptofolio.estimate.views`);
  ``Omega`` from He and Litterman (1999), ``diag(tau P S P')``, or from confidences ``c`` in
  (0, 1] per view (Idzorek 2005, in the closed form of Walters: ``omega_k = tau (1 - c_k) / c_k
  P_k S P_k'``; 100 % gives ``omega_k = 0``, the view holds exactly);
* posterior, with ``A = tau P S P' + Omega``:
  ``mu_BL = pi + tau S P' A^-1 (Q - P pi)`` and ``S_BL = S + tau S - tau S P' A^-1 P tau S``
  (the covariance of the returns given the views: the prior covariance plus the remaining
  uncertainty of the mean).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import DataError, EstimationError
from cryptofolio.estimate.views import Views

DEFAULT_TAU = 0.05


class OmegaMethod(StrEnum):
    """How the uncertainty of the views is set."""

    HE_LITTERMAN = "he-litterman"  # tau-proportional: diag(tau P S P')
    IDZOREK = "idzorek"  # from each view's confidence (0-100 %)


# ------------------------------------------------------------------------------ the prior
def market_implied_prior(
    covariance: np.ndarray,
    market_weights: np.ndarray,
    risk_aversion: float,
    risk_free_rate: float = 0.0,
) -> np.ndarray:
    """``pi = delta S w_mkt + rf`` (annualised fractions, shape ``(n,)``)."""
    w = np.asarray(market_weights, dtype=float)
    return risk_aversion * (np.asarray(covariance, dtype=float) @ w) + risk_free_rate


def implied_risk_aversion(
    market_returns: np.ndarray | pd.Series,
    *,
    periods_per_year: float = 365.0,
    risk_free_rate: float = 0.0,
) -> float:
    """The market's risk aversion ``delta = (E[r_m] - rf) / var(r_m)`` from the periodic
    returns of a market proxy over the estimation window (annualised mean and variance,
    the variance with ``T - 1``; ``risk_free_rate`` annual).

    Raises
    ------
    EstimationError
        Fewer than 3 returns, non-finite values, zero variance, or a non-positive implied
        risk aversion (the proxy did not beat ``risk_free_rate`` over the window): give the
        risk aversion yourself or use another window.
    """
    r = np.asarray(market_returns, dtype=float)
    if r.ndim != 1 or len(r) < 3 or not np.isfinite(r).all():
        raise EstimationError(
            "the market proxy needs at least 3 finite periodic returns (a 1-d series)"
        )
    mean = float(r.mean()) * periods_per_year
    var = float(r.var(ddof=1)) * periods_per_year
    if var <= 0:
        raise EstimationError("the market proxy's returns are constant: no risk aversion")
    delta = (mean - risk_free_rate) / var
    if delta <= 0:
        raise EstimationError(
            f"the market proxy returned {mean:.2%} a year against a risk-free rate of "
            f"{risk_free_rate:.2%}: the implied risk aversion ({delta:.3g}) is not positive; "
            "give it (--market-risk-aversion, or BlackLittermanViews(market_risk_aversion=...)) "
            "or estimate it over a longer window"
        )
    return delta


def market_proxy_returns(returns: pd.DataFrame, market_caps: pd.DataFrame) -> pd.Series:
    """Cap-weighted market returns: each period's asset returns weighted by the market caps
    of the previous row (known when the period starts; no later data).

    Raises
    ------
    DataError
        A period whose previous caps are missing or zero for some asset (names them and the
        date).
    """
    caps = market_caps.reindex(columns=returns.columns).shift(1).reindex(returns.index)
    bad = caps.isna() | (caps <= 0)
    if bad.to_numpy().any():
        date = bad.index[bad.any(axis=1)][0]
        assets = list(bad.columns[bad.loc[date]])
        raise DataError(
            f"market proxy: market caps missing or zero for {', '.join(assets)} on the day "
            f"before {_day(date)}; start the window later or drop the assets"
        )
    values = caps.to_numpy(dtype=float)
    weights = values / values.sum(axis=1, keepdims=True)
    return pd.Series(
        (weights * returns.to_numpy(dtype=float)).sum(axis=1), index=returns.index, name="market"
    )


def _day(ts) -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def market_caps_at(market_caps: pd.DataFrame, date, assets: list[str] | None = None) -> pd.Series:
    """The market caps (USD) of ``assets`` at the last row of ``market_caps`` (rows = UTC
    timestamps) at or before ``date``: point in time, nothing later is read.

    Raises
    ------
    DataError
        No row at or before ``date``, unknown assets, or caps missing or zero for some assets
        at that row (names them and the date).
    """
    assets = list(market_caps.columns) if assets is None else list(assets)
    unknown = [a for a in assets if a not in market_caps.columns]
    if unknown:
        raise DataError(f"no market caps for {', '.join(unknown)} in the data")
    stamp = pd.Timestamp(date)
    if stamp.tzinfo is None and market_caps.index.tz is not None:
        stamp = stamp.tz_localize("UTC")
    rows = market_caps.index[market_caps.index <= stamp]
    if not len(rows):
        raise DataError(
            f"no market caps at or before {_day(stamp)}; they start {_day(market_caps.index[0])}"
        )
    row = market_caps.loc[rows[-1], assets].astype(float)
    row.name = rows[-1]
    market_weights(row)  # raises on missing or zero caps
    return row


def market_weights(market_caps: pd.Series | Mapping[str, float]) -> pd.Series:
    """Market-cap weights (fractions summing to 1) from the caps of every asset at one date
    (a Series whose ``name`` is that date, or a mapping).

    Raises
    ------
    DataError
        Caps missing (NaN), zero, negative or infinite for some assets: names them (and the date).
    """
    caps = pd.Series(market_caps, dtype=float)
    bad = caps.index[~(np.isfinite(caps.to_numpy()) & (caps.to_numpy() > 0))]
    if len(bad):
        when = f" on {_day(caps.name)}" if isinstance(caps.name, pd.Timestamp) else ""
        raise DataError(
            f"market caps missing or zero for {', '.join(map(str, bad))}{when}: the market "
            "weights are undefined; drop the asset(s) or pick a date at which they have a cap"
        )
    return caps / caps.sum()


# ------------------------------------------------------------------------ views and Omega
def he_litterman_omega(covariance: np.ndarray, P: np.ndarray, tau: float) -> np.ndarray:
    """``Omega = diag(tau P S P')`` ``(k, k)``."""
    return np.diag(np.diag(tau * P @ covariance @ P.T))


def idzorek_omega(
    covariance: np.ndarray, P: np.ndarray, confidences: np.ndarray, tau: float
) -> np.ndarray:
    """``omega_k = tau (1 - c_k) / c_k P_k S P_k'`` ``(k, k)`` for confidences ``c`` in (0, 1]
    (fractions: 0.6 = 60 %)."""
    c = np.asarray(confidences, dtype=float)
    return np.diag(tau * (1.0 - c) / c * np.einsum("ij,jk,ik->i", P, covariance, P))


def posterior(
    covariance: np.ndarray,
    prior: np.ndarray,
    P: np.ndarray,
    Q: np.ndarray,
    omega: np.ndarray,
    tau: float = DEFAULT_TAU,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean ``(n,)`` and covariance ``(n, n)`` (see the module docstring).

    Raises
    ------
    EstimationError
        ``tau P S P' + Omega`` is singular (views held exactly on a riskless combination).
    """
    S = np.asarray(covariance, dtype=float)
    if len(Q) == 0:
        return prior.copy(), S + tau * S
    tsp = tau * S @ P.T  # (n, k)
    A = P @ tsp + omega
    try:
        sol = np.linalg.solve(A, np.column_stack([Q - P @ prior, tsp.T]))
    except np.linalg.LinAlgError:
        raise EstimationError(
            "the views' covariance tau P S P' + Omega is singular: a view held with 100 % "
            "confidence on a combination with no risk; lower its confidence"
        ) from None
    mean = prior + tsp @ sol[:, 0]
    cov = S + tau * S - tsp @ sol[:, 1:]
    return mean, (cov + cov.T) / 2.0


# -------------------------------------------------------------------------- labelled API
@dataclass(frozen=True)
class BlackLittermanPosterior:
    """Prior and posterior, labelled by asset: ``prior`` and ``mean`` (annualised fractions),
    ``covariance`` (annualised), ``risk_aversion``, ``market_weights`` (fractions)."""

    prior: pd.Series
    mean: pd.Series
    covariance: pd.DataFrame
    risk_aversion: float
    market_weights: pd.Series


@dataclass(frozen=True)
class BlackLitterman:
    """Black-Litterman with its parameters.

    ``tau``: scale of the prior mean's uncertainty (``tau S``); ``omega``: he-litterman, idzorek
    (needs every view's confidence) or ``None`` (idzorek when the views carry confidences,
    he-litterman otherwise); ``risk_aversion``: ``delta``, or ``None`` to estimate it from a
    market proxy passed to :meth:`posterior`; ``risk_free_rate``: annual fraction.
    """

    tau: float = DEFAULT_TAU
    omega: OmegaMethod | None = None
    risk_aversion: float | None = None
    risk_free_rate: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.tau) and self.tau > 0):
            raise EstimationError(f"tau must be a positive number, got {self.tau}")
        if self.omega is not None:
            try:
                object.__setattr__(self, "omega", OmegaMethod(self.omega))
            except ValueError:
                options = ", ".join(m.value for m in OmegaMethod)
                raise EstimationError(f"unknown omega {self.omega!r}; use {options}") from None
        if self.risk_aversion is not None and not (
            np.isfinite(self.risk_aversion) and self.risk_aversion > 0
        ):
            raise EstimationError(f"risk_aversion must be positive, got {self.risk_aversion}")

    def omega_matrix(self, covariance: np.ndarray, views: Views) -> np.ndarray:
        """Omega ``(k, k)`` for ``views`` (aligned with the covariance's assets)."""
        method = self.omega
        if method is None:
            method = OmegaMethod.IDZOREK if views.has_confidences else OmegaMethod.HE_LITTERMAN
        if method is OmegaMethod.HE_LITTERMAN:
            return he_litterman_omega(covariance, views.P, self.tau)
        if not views.has_confidences:
            missing = [
                lab for lab, c in zip(views.labels, views.confidences, strict=True) if np.isnan(c)
            ]
            raise EstimationError(
                f"omega 'idzorek' needs a confidence (0-100 %) for every view; missing for "
                f"{', '.join(missing)}"
            )
        return idzorek_omega(covariance, views.P, views.confidences, self.tau)

    def posterior(
        self,
        covariance: pd.DataFrame,
        market_caps: pd.Series | Mapping[str, float],
        views: Views,
        *,
        market_returns: np.ndarray | pd.Series | None = None,
        periods_per_year: float = 365.0,
    ) -> BlackLittermanPosterior:
        """The posterior for an annualised ``covariance`` (labelled), the market caps of its
        assets at the decision date (:func:`market_caps_at`) and ``views``; ``market_returns``
        (a proxy's periodic returns) when ``risk_aversion`` is to be estimated.

        Raises
        ------
        DataError, EstimationError
            Missing or zero caps, views on assets outside the covariance, no way to set the
            risk aversion, singular views.
        """
        assets = list(covariance.index)
        caps = pd.Series(market_caps, dtype=float)
        missing = [a for a in assets if a not in caps.index]
        if missing:
            raise DataError(f"no market cap for {', '.join(missing)}; give one per asset")
        w = market_weights(caps.reindex(assets).rename(caps.name))
        delta = self.risk_aversion
        if delta is None:
            if market_returns is None:
                raise EstimationError(
                    "Black-Litterman needs the risk aversion: give risk_aversion "
                    "(--market-risk-aversion) or the market proxy's returns to estimate it"
                )
            delta = implied_risk_aversion(
                market_returns,
                periods_per_year=periods_per_year,
                risk_free_rate=self.risk_free_rate,
            )
        aligned = views.aligned(assets)
        S = covariance.to_numpy(dtype=float)
        pi = market_implied_prior(S, w.to_numpy(), delta, self.risk_free_rate)
        active = aligned.without_ignored()
        mean, cov = posterior(S, pi, active.P, active.Q, self.omega_matrix(S, active), tau=self.tau)
        idx = covariance.index
        return BlackLittermanPosterior(
            prior=pd.Series(pi, index=idx, name="prior"),
            mean=pd.Series(mean, index=idx, name="expected_return"),
            covariance=pd.DataFrame(cov, index=idx, columns=covariance.columns),
            risk_aversion=float(delta),
            market_weights=w.rename("market_weight"),
        )


def black_litterman_posterior_at(
    spec: BlackLitterman,
    covariance: pd.DataFrame,
    views: Views,
    market_caps: pd.DataFrame,
    date,
    *,
    returns: pd.DataFrame | None = None,
    periods_per_year: float = 365.0,
) -> BlackLittermanPosterior:
    """The posterior at the decision ``date``: the market caps of the covariance's assets at
    the last row of ``market_caps`` at or before ``date`` (:func:`market_caps_at`: point in
    time) and, when ``spec.risk_aversion`` is ``None``, δ estimated from the cap-weighted
    proxy of the periodic ``returns`` of the estimation window (:func:`market_proxy_returns`).

    Raises
    ------
    DataError, EstimationError
        As :func:`market_caps_at`, :func:`market_proxy_returns` and
        :meth:`BlackLitterman.posterior`.
    """
    caps = market_caps_at(market_caps, date, list(covariance.index))
    proxy = None
    if spec.risk_aversion is None:
        if returns is None:
            raise EstimationError(
                "Black-Litterman needs the risk aversion: give it, or the window's returns "
                "to estimate it from the market proxy"
            )
        proxy = market_proxy_returns(returns, market_caps)
    return spec.posterior(
        covariance, caps, views, market_returns=proxy, periods_per_year=periods_per_year
    )
