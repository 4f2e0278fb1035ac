"""Expected returns: annualised estimates (fractions, 0.12 = 12 % a year) from periodic
returns, and validation of user-supplied views."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import EstimationError
from cryptofolio.estimate.returns import ReturnsKind
from cryptofolio.estimate.risk_models import ewm_alpha, ewm_weights
from cryptofolio.estimate.windows import (
    check_returns_window,
    returns_values_and_means,
)

#: PyPortfolioOpt's default span of the exponentially weighted mean return (periods).
DEFAULT_RETURN_SPAN = 500.0


class ExpectedReturnsMethod(StrEnum):
    """Expected-return estimators (all annualised)."""

    MEAN = "mean"  # arithmetic mean * periods_per_year
    COMPOUNDED = "compounded"  # geometric: prod(1 + r) ** (periods_per_year / T) - 1
    EMA = "ema"  # exponentially weighted mean, compounded as PyPortfolioOpt
    # the posterior mean of a market prior and views: needs market caps and views, so it is
    # computed by cryptofolio.estimate.black_litterman_posterior_at, not from returns alone
    BLACK_LITTERMAN = "black-litterman"


def _needs_views(method: ExpectedReturnsMethod) -> None:
    if method is ExpectedReturnsMethod.BLACK_LITTERMAN:
        raise EstimationError(
            "black-litterman expected returns need market caps and views, not returns alone: "
            "compute them with cryptofolio.estimate.black_litterman_posterior_at and pass the "
            "posterior mean as expected_returns (CLI: cryptofolio optimize --expected-returns "
            "black-litterman --views FILE)"
        )


def mean_return(
    returns: pd.DataFrame,
    *,
    periods_per_year: float = 365.0,
    kind: ReturnsKind = ReturnsKind.SIMPLE,
) -> pd.Series:
    """Arithmetic mean periodic return times ``periods_per_year`` (for log returns: the
    annual continuously compounded rate)."""
    # the checks of check_returns_window, finiteness read from the means (one pass)
    _, mean = returns_values_and_means(returns, min_observations=1)
    return pd.Series(mean * periods_per_year, index=returns.columns, name="expected_return")


def compounded_return(
    returns: pd.DataFrame,
    *,
    periods_per_year: float = 365.0,
    kind: ReturnsKind = ReturnsKind.SIMPLE,
) -> pd.Series:
    """Compound annual growth rate: ``prod(1 + r) ** (periods_per_year / T) - 1``.

    For log returns, ``exp(mean(r) * periods_per_year) - 1`` (the same quantity).
    """
    check_returns_window(returns, min_observations=1)
    log_r = returns if ReturnsKind(kind) is ReturnsKind.LOG else np.log1p(returns)
    if not np.isfinite(log_r.to_numpy()).all():
        bad = log_r.columns[~np.isfinite(log_r.to_numpy()).all(axis=0)][0]
        raise EstimationError(
            f"{bad} has a return of -100 % or less: its compounded return is undefined"
        )
    return np.expm1(log_r.mean() * periods_per_year).rename("expected_return")


def ema_return(
    returns: pd.DataFrame,
    *,
    periods_per_year: float = 365.0,
    span: float | None = None,
    half_life: float | None = None,
    compounding: bool = True,
    kind: ReturnsKind = ReturnsKind.SIMPLE,
) -> pd.Series:
    """Exponentially weighted mean return, annualised (PyPortfolioOpt's
    ``ema_historical_return`` with ``frequency=periods_per_year``).

    ``m = ewm(span).mean()`` at the last row (latest observation weighs most, default span
    500 periods); annualised as ``(1 + m) ** periods_per_year - 1`` (``compounding``) or
    ``m * periods_per_year``. For log returns the compounded figure is ``exp(m * ppy) - 1``.
    """
    check_returns_window(returns, min_observations=1)
    alpha = ewm_alpha(
        DEFAULT_RETURN_SPAN if span is None and half_life is None else span, half_life
    )
    w = ewm_weights(len(returns), alpha)
    m = pd.Series(w @ returns.to_numpy(dtype=float), index=returns.columns.copy())
    if not compounding:
        out = m * periods_per_year
    elif ReturnsKind(kind) is ReturnsKind.LOG:
        out = np.expm1(m * periods_per_year)
    else:
        out = (1.0 + m) ** periods_per_year - 1.0
    return out.rename("expected_return")


def validate_views(views: pd.Series | dict, assets) -> pd.Series:
    """Check user-supplied annual expected returns against the assets and order them.

    Parameters
    ----------
    views
        Annualised expected returns as fractions, indexed by asset (a Series or a mapping).
    assets
        The assets of the portfolio, in order.

    Raises
    ------
    EstimationError
        If a view is missing for an asset, given for an unknown asset, not finite, or looks like
        a percentage rather than a fraction (below -100 %).
    """
    views = (
        pd.Series(views, dtype=float) if not isinstance(views, pd.Series) else views.astype(float)
    )
    assets = [str(a) for a in assets]
    missing = [a for a in assets if a not in views.index]
    extra = [str(a) for a in views.index if a not in assets]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no view for {', '.join(missing)}")
        if extra:
            parts.append(f"views for assets not in the portfolio: {', '.join(extra)}")
        raise EstimationError("; ".join(parts) + "; give exactly one annual return per asset")
    out = views.reindex(assets)
    bad = out.index[~np.isfinite(out.to_numpy())]
    if len(bad):
        raise EstimationError(f"views for {', '.join(bad)} are NaN or infinite")
    low = out.index[out.to_numpy() < -1.0]
    if len(low):
        raise EstimationError(
            f"views for {', '.join(low)} are below -100 % a year; give fractions (0.12 = 12 %), "
            "not percentages"
        )
    return out.rename("expected_return")


def expected_return_values(
    x: np.ndarray,
    mean: np.ndarray,
    names: pd.Index,
    method: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN,
    periods_per_year: float = 365.0,
    kind: ReturnsKind = ReturnsKind.SIMPLE,
    span: float | None = None,
    half_life: float | None = None,
) -> np.ndarray:
    """The values of :func:`expected_returns` (no views) from the returns array: the kernel
    that :func:`cryptofolio.optimize.build_portfolio` calls.

    ``x``: periodic returns (T x N, finite), ``mean`` its column means, ``names`` the N asset
    labels (for the error messages). Returns annualised fractions (N,).
    """
    method = ExpectedReturnsMethod(method)
    _needs_views(method)
    ppy = _check_periods_per_year(periods_per_year)
    if method is ExpectedReturnsMethod.MEAN:
        return mean * ppy
    if method is ExpectedReturnsMethod.COMPOUNDED:
        frame = pd.DataFrame(x, columns=names, copy=False)
        return compounded_return(frame, periods_per_year=ppy, kind=kind).to_numpy()
    frame = pd.DataFrame(x, columns=names, copy=False)
    out = ema_return(frame, periods_per_year=ppy, span=span, half_life=half_life, kind=kind)
    return out.to_numpy()


def _check_periods_per_year(periods_per_year: float) -> float:
    if not np.isfinite(periods_per_year) or periods_per_year <= 0:
        raise EstimationError(f"periods_per_year must be positive, got {periods_per_year!r}")
    return float(periods_per_year)


def expected_returns(
    returns: pd.DataFrame,
    method: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN,
    *,
    periods_per_year: float = 365.0,
    kind: ReturnsKind = ReturnsKind.SIMPLE,
    span: float | None = None,
    half_life: float | None = None,
    views: pd.Series | None = None,
) -> pd.Series:
    """Annualised expected returns (fractions) of periodic ``returns``.

    Parameters
    ----------
    returns
        Periodic returns, rows = timestamps, columns = assets, no NaN.
    method
        ``mean`` (arithmetic), ``compounded`` (geometric, CAGR) or ``ema`` (exponentially
        weighted, compounded; see :func:`ema_return`).
    periods_per_year
        365 daily, 8760 hourly (252 only for equity-like data).
    kind
        Whether ``returns`` are simple or log returns.
    span, half_life
        Decay of the ``ema`` method, in periods (default span 500).
    views
        User forecasts (annual fractions per asset): when given they are validated against
        the columns of ``returns`` and returned instead of an estimate.
    """
    if views is not None:
        return validate_views(views, returns.columns)
    method = ExpectedReturnsMethod(method)
    _needs_views(method)
    _check_periods_per_year(periods_per_year)
    if method is ExpectedReturnsMethod.MEAN:
        return mean_return(returns, periods_per_year=periods_per_year, kind=kind)
    if method is ExpectedReturnsMethod.COMPOUNDED:
        return compounded_return(returns, periods_per_year=periods_per_year, kind=kind)
    return ema_return(
        returns, periods_per_year=periods_per_year, span=span, half_life=half_life, kind=kind
    )
