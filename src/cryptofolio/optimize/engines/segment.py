"""Parametric segments of a box QP's solution path and the KKT residuals of a solution.

Along the efficient-return path the active set is constant between two turning points and the
solution moves on a line; :func:`segment` gives that line's validity interval and the pivot
that continues the path. :func:`kkt_residuals` is the independent check every solution passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptofolio.optimize.engines.reduced import (
    FREE,
    LOWER,
    UPPER,
    BoxQP,
    Reduced,
    max0,
)


@dataclass(frozen=True)
class Segment:
    """Where a pivot state stays optimal along a parameter ``t``: ``[lo, hi]``, and the pivot
    (index, new state) that continues the path past ``hi`` (``None`` when nothing blocks)."""

    lo: float
    hi: float
    exit_pivot: tuple[int, int] | None


def segment(prob: BoxQP, state: np.ndarray, sol: Reduced, t0: float, tol: float = 1e-11) -> Segment:
    """The interval of the parameter ``t`` (around ``t0``) on which ``state`` stays optimal,
    given a reduced solution with derivatives (``sol.y + (t - t0) sol.dy`` etc.), and the
    pivot at its upper end: the free variable that reaches a bound binds there, or the bound
    variable whose multiplier reaches zero is freed."""
    lo_t, hi_t = -np.inf, np.inf
    exit_pivot: tuple[int, int] | None = None
    free = state == FREE
    k, dk = sol.k, sol.dk

    def clip(idx: np.ndarray, val: np.ndarray, slope: np.ndarray, to: int) -> None:
        # constraint val + s * slope >= 0 for s = t - t0, over the variables idx
        nonlocal lo_t, hi_t, exit_pivot
        pos = slope > tol
        neg = slope < -tol
        if pos.any():
            lo_t = max(lo_t, float((-val[pos] / slope[pos]).max()))
        if neg.any():
            ratios = -val[neg] / slope[neg]
            j = int(ratios.argmin())
            if ratios[j] < hi_t:
                hi_t = float(ratios[j])
                exit_pivot = (int(idx[neg][j]), to)

    fl = np.flatnonzero(free & np.isfinite(prob.lo))
    fh = np.flatnonzero(free & np.isfinite(prob.hi))
    clip(fl, sol.y[fl] - prob.lo[fl] * k, sol.dy[fl] - prob.lo[fl] * dk, LOWER)
    clip(fh, prob.hi[fh] * k - sol.y[fh], prob.hi[fh] * dk - sol.dy[fh], UPPER)
    lw = np.flatnonzero(state == LOWER)
    up = np.flatnonzero(state == UPPER)
    clip(lw, sol.g[lw], sol.dg[lw], FREE)
    clip(up, -sol.g[up], -sol.dg[up], FREE)
    return Segment(t0 + lo_t, t0 + hi_t, exit_pivot)


def kkt_residuals(prob: BoxQP, state: np.ndarray, sol: Reduced) -> dict[str, float]:
    """Independent check of every KKT condition of ``prob`` at ``sol`` (scaled units)."""
    y, k = sol.y, sol.k
    Py = prob.P @ y
    g = Py + prob.q + prob.A.T @ sol.nu  # recomputed, not taken from the solve
    eq = max0(np.abs(prob.A @ y + prob.a * k - prob.c))
    if k == 1.0:  # an ordinary QP: the bounds themselves
        lo_k, hi_k = prob.lo, prob.hi
    elif k > 0:  # +-inf bounds stay infinite
        lo_k, hi_k = prob.lo * k, prob.hi * k
    else:  # a degenerate homogeneous scale: an infinite bound times 0 is no bound
        lo_k = np.where(np.isfinite(prob.lo), prob.lo * k, -np.inf)
        hi_k = np.where(np.isfinite(prob.hi), prob.hi * k, np.inf)
    bound = max0(np.maximum(lo_k - y, y - hi_k))
    free = state == FREE
    stat = max0(np.abs(np.where(free, g, 0.0)))
    # a lower-bound variable needs g >= 0, an upper-bound one g <= 0: state * g <= 0
    sign = max0(state * g)
    # complementarity: a variable reported at a bound must sit on it (a bound variable's
    # bound is finite; the free entries are masked out)
    at = np.where(state < 0, lo_k, hi_k)
    comp = max0(np.abs(np.where(free, 0.0, y - at)))
    scale = max(1.0, max0(np.abs(Py)), max0(np.abs(prob.q)))
    return {
        "equality": eq,
        "bounds": bound,
        "stationarity": stat / scale,
        "multiplier_sign": sign / scale,
        "complementarity": comp,
    }
