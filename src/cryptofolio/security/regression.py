"""Log-log regression of the security budget on market cap across coins, and each coin's
residual: how far its budget lies above (positive) or below (negative) the trend line, in
log10 units (-0.5 is a budget about 3.2 times smaller than the trend gives for its size).

A coin far below the line has a large market cap that is cheap to attack for its size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_COINS = 3  # a line through two points has no residual


@dataclass(frozen=True)
class LogLogFit:
    """``log10(budget) = intercept + slope * log10(market_cap)`` fitted on ``n`` coins."""

    slope: float
    intercept: float
    n: int
    r_squared: float

    def predict(self, market_cap: np.ndarray) -> np.ndarray:
        """Trend budget (same unit as the fitted budget) at ``market_cap``."""
        return 10.0 ** (self.intercept + self.slope * np.log10(np.asarray(market_cap, float)))


def grouped_ols(
    x: np.ndarray, y: np.ndarray, group: np.ndarray, min_points: int = MIN_COINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ordinary least squares ``y = a + b x`` within each group, in closed form.

    Parameters
    ----------
    x, y
        Shape (n,), finite.
    group
        Shape (n,), non-negative int codes.
    min_points
        Groups with fewer points (or no spread in ``x``) get NaN.

    Returns
    -------
    slope, intercept, count, r_squared
        One value per group code (length ``group.max() + 1``).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    g = np.asarray(group, np.intp)
    size = int(g.max(initial=-1)) + 1
    n = np.bincount(g, minlength=size).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = np.bincount(g, x, size) / n
        my = np.bincount(g, y, size) / n
        dx = x - mx[g]
        dy = y - my[g]
        sxx = np.bincount(g, dx * dx, size)
        sxy = np.bincount(g, dx * dy, size)
        syy = np.bincount(g, dy * dy, size)
        slope = sxy / sxx
        intercept = my - slope * mx
        r2 = np.where(syy > 0, sxy * sxy / (sxx * syy), np.nan)
    bad = (n < min_points) | ~(sxx > 0)
    slope[bad] = np.nan
    intercept[bad] = np.nan
    r2[bad] = np.nan
    return slope, intercept, n.astype(int), r2


def fit_log_log(market_cap: np.ndarray, budget: np.ndarray) -> LogLogFit:
    """Fit one cross-section (positive, finite values; NaN fit below :data:`MIN_COINS`)."""
    x = np.log10(np.asarray(market_cap, float))
    y = np.log10(np.asarray(budget, float))
    slope, intercept, n, r2 = grouped_ols(x, y, np.zeros(len(x), np.intp))
    if len(x) == 0:
        return LogLogFit(float("nan"), float("nan"), 0, float("nan"))
    return LogLogFit(float(slope[0]), float(intercept[0]), int(n[0]), float(r2[0]))


def loglog_residuals(frame: pd.DataFrame, by: str | None = "date") -> pd.DataFrame:
    """Fit each cross-section of ``frame`` (one per value of ``by``; all rows when ``None``)
    and give each row its residual.

    ``frame`` has ``security_budget_usd_per_hour`` and ``market_cap_usd``; rows where either is
    missing or not positive take no part and get NaN. Returns a frame on ``frame``'s index
    with ``residual`` (log10 units), ``trend_budget_usd_per_hour``, ``slope``, ``intercept``,
    ``fit_coins`` (coins in the fit) and ``r_squared``.
    """
    budget = frame["security_budget_usd_per_hour"].to_numpy(float)
    cap = frame["market_cap_usd"].to_numpy(float)
    ok = np.isfinite(budget) & np.isfinite(cap) & (budget > 0) & (cap > 0)
    codes = (
        frame[by].factorize()[0] if by is not None else np.zeros(len(frame), dtype=np.intp)
    ).astype(np.intp)
    x = np.log10(cap, where=ok, out=np.full(len(cap), np.nan))
    y = np.log10(budget, where=ok, out=np.full(len(cap), np.nan))
    slope, intercept, n, r2 = grouped_ols(x[ok], y[ok], codes[ok])
    full = int(codes.max(initial=-1)) + 1
    pad = max(full - len(slope), 0)
    slope, intercept, r2 = (
        np.concatenate([a, np.full(pad, np.nan)]) for a in (slope, intercept, r2)
    )
    n = np.concatenate([n, np.zeros(pad, int)])
    trend_log = intercept[codes] + slope[codes] * x
    out = pd.DataFrame(index=frame.index)
    out["residual"] = np.where(ok, y - trend_log, np.nan)
    out["trend_budget_usd_per_hour"] = np.where(ok, 10.0**trend_log, np.nan)
    out["slope"] = slope[codes]
    out["intercept"] = intercept[codes]
    out["fit_coins"] = n[codes]
    out["r_squared"] = r2[codes]
    return out
