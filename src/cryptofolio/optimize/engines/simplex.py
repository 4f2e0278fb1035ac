"""Long-only QPs within the budget, solved and certified in one pass.

Once the covariance is scaled, a long-only minimum-variance or utility problem whose caps cannot
bind is (the optimiser's ``BoxQP.simplex``)

    minimise    1/2 y'P y + q'y
    subject to  sum(y) = c,   0 <= y_i <= hi_i,   every hi_i >= c > 0.

Only the zero bounds can bind (``y >= 0`` and ``sum(y) = c <= hi_i``), so a pivot only moves
variables between free and zero. :func:`solve_simplex` runs the block pivoting of
:mod:`cryptofolio.optimize.engines.active_set` on that structure, and :func:`simplex_residuals` checks
every KKT condition of the answer, with the gradient recomputed from ``P``, ``y`` and the
budget's multiplier (not taken from the loop).

Both are written with the same few array operations (slices, products, reductions). On a small
problem solved right after other code has run (one minimum variance in a loop of estimates, or
the benchmark suite's interleaved calls), most of the time goes to bringing code back into the
CPU caches, so the number of distinct functions a solve runs matters more than its arithmetic:
the optimiser's minimum-variance and utility solves take this path first (``objectives/min_variance.py``, ``objectives/max_utility.py``), and
the general pivoting, which has the safeguards against cycling and singular blocks, only when
it hands a problem back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

POTRF, POTRS = sla.get_lapack_funcs(("potrf", "potrs"), dtype=np.float64)
# the reductions called as ufuncs (what ndarray.sum/.max/.any call, without numpy's
# Python-level wrapper around them)
_add = np.add.reduce
_maximum = np.maximum.reduce
_minimum = np.minimum.reduce
_any = np.logical_or.reduce

#: A minimum-variance cold start frees this many variables (see :func:`simplex_start`).
PAIR_FREE = 16
#: A utility cold start frees this many variables: the lowest ``P_ii / 2 + q_i``.
COLD_FREE = 4
#: Above this many variables a step frees a bounded number of variables at once.
SPARSE_START = 32


@dataclass(frozen=True)
class SimplexSolution:
    """A point of the loop: ``y`` (zero outside ``free``), the budget's multiplier ``nu``, the
    gradient of the Lagrangian ``g = P y + q + nu`` as the loop formed it, and the steps taken."""

    y: np.ndarray
    nu: float
    g: np.ndarray
    free: np.ndarray  # bool: the variables off their zero bound
    steps: int


def grow_cap(n_free: int, n: int) -> int:
    """Most bound variables one block pivot may free (all of them for small problems), given
    how many are free now."""
    if n <= SPARSE_START:
        return n
    return max(SPARSE_START // 2, n_free)


def simplex_start(P: np.ndarray, q: np.ndarray | None) -> np.ndarray:
    """The cold start's free variables, as a boolean mask.

    Minimum variance (``q`` is ``None``): the lowest-variance asset ``i`` and the
    :data:`PAIR_FREE` - 1 assets ``j`` that hold the least variance together with it, the
    two-asset minimum ``(P_ii P_jj - P_ij^2) / (P_ii + P_jj - 2 P_ij)`` (``P_jj`` when the pair
    is degenerate): the assets that diversify the safest one best. On the benchmark panels
    (real daily data, synthetic 50-1000 assets, walk-forward windows) this start takes up to
    two factorisations fewer than the four lowest variances, and about as many on the
    200-asset walk-forward windows (``benchmarks/cold_start.py`` counts them).

    Utility: the :data:`COLD_FREE` variables with the smallest ``P_ii / 2 + q_i`` (the cheapest
    to hold alone). Long-only solutions hold few assets (a minimum-variance portfolio of 50
    coins holds about 10), so growing the free set from a handful of candidates takes fewer
    pivots than shrinking it from everything.
    """
    n = P.shape[0]
    free = np.zeros(n, dtype=bool)
    if q is not None:
        if n <= COLD_FREE:
            free[:] = True
        else:
            score = 0.5 * P.diagonal() + q
            free[score.argpartition(COLD_FREE - 1)[:COLD_FREE]] = True
        return free
    if n <= PAIR_FREE:
        free[:] = True
        return free
    var = P.diagonal()
    first = int(var.argmin())
    row = P[first]
    spread = var + var[first]
    spread -= 2.0 * row  # variance of the difference of the two assets: >= 0 for PSD P
    det = var * var[first]
    det -= row * row
    pair = var.copy()
    np.divide(det, spread, out=pair, where=spread > 0.0)
    pair[first] = -np.inf
    free[pair.argpartition(PAIR_FREE - 1)[:PAIR_FREE]] = True
    return free


def solve_simplex(
    P: np.ndarray,
    q: np.ndarray | None,
    budget: float,
    free: np.ndarray,
    *,
    tol: float = 1e-11,
    max_iter: int = 50,
) -> SimplexSolution | None:
    """``min 1/2 y'Py + q'y`` subject to ``sum(y) = budget``, ``y >= 0`` (``q`` ``None``: no
    linear term), by block pivoting from the free set ``free`` (a boolean mask, modified).

    Each step factorises the free block ``P_FF`` once for the right-hand sides ``-q_F`` and
    ``1`` (only ``1`` without a linear term); the budget's multiplier is then a division. While
    a free variable comes out negative, those bind and the step repeats without forming the
    gradient; once every free variable is non-negative, the bound variables whose multiplier
    ``g_i`` is negative are freed (at most :func:`grow_cap` of them, most negative first). When
    none is, the point meets every KKT condition.

    Returns ``None`` (the caller then runs the general pivoting, which has the safeguards
    against cycling and singular blocks) when a free block is not positive definite, a result
    is not finite, or ``max_iter`` steps pass.
    """
    n = P.shape[0]
    linear = q is not None
    for step in range(max_iter):
        fi = free.nonzero()[0]
        Pf = P.take(fi, axis=0)
        if linear:
            rhs = np.empty((fi.size, 2))
            np.negative(q.take(fi), out=rhs[:, 0])
            rhs[:, 1] = 1.0
        else:
            rhs = np.empty(fi.size)
            rhs.fill(1.0)
        chol, info = POTRF(Pf.take(fi, axis=1), lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return None
        sol, info = POTRS(chol, rhs, lower=1, overwrite_b=1)
        if info != 0:  # pragma: no cover - only on malformed arguments
            return None
        if linear:
            total, schur = _add(sol, axis=0)  # 1'P_FF^-1 (-q_F), 1'P_FF^-1 1 (> 0: PD)
            nu = (float(total) - budget) / float(schur)
            y_free = sol[:, 0]
            y_free -= nu * sol[:, 1]
        else:  # the same figures with -q_F = 0: y_F = -nu P_FF^-1 1
            nu = -budget / float(_add(sol))
            y_free = sol
            y_free *= -nu
        negative = y_free < -tol
        if _any(negative):
            free[fi[negative]] = False
            continue
        g = Pf.T @ y_free
        if linear:
            g += q
        g += nu
        if not (math.isfinite(nu) and math.isfinite(float(_add(g)))):
            return None
        wrong = g < -tol * max(1.0, float(_maximum(np.abs(g))))
        wrong[fi] = False
        if not _any(wrong):
            y = np.zeros(n)
            y[fi] = y_free
            return SimplexSolution(y=y, nu=nu, g=g, free=free, steps=step)
        grow = wrong.nonzero()[0]
        cap = grow_cap(fi.size, n)
        if grow.size > cap:
            grow = grow[np.argsort(g[grow], kind="stable")[:cap]]
        free[grow] = True
    return None


def simplex_residuals(
    P: np.ndarray,
    q: np.ndarray | None,
    budget: float,
    hi: np.ndarray,
    sol: SimplexSolution,
) -> dict[str, float]:
    """Every KKT condition of the problem of :func:`solve_simplex` (caps ``hi``) at ``sol``,
    in the units of :func:`~cryptofolio.optimize.engines.segment.kkt_residuals`: the budget row,
    the bounds, stationarity and the multipliers' sign relative to ``max(1, |P y|, |q|)``,
    complementarity (a bound variable must sit at 0). NaN where the point is not finite."""
    y, free = sol.y, sol.free
    Py = P @ y
    g = Py + sol.nu  # recomputed, not taken from the loop
    if q is not None:
        g += q
    held = ~free
    scale = max(1.0, float(_maximum(np.abs(Py))))
    if q is not None:
        scale = max(scale, float(_maximum(np.abs(q))))
    return {
        "equality": abs(float(_add(y)) - budget),
        "bounds": float(_maximum(np.maximum(-y, y - hi), initial=0.0)),
        "stationarity": float(_maximum(np.abs(g[free]), initial=0.0)) / scale,
        "multiplier_sign": -float(_minimum(g[held], initial=0.0)) / scale,
        "complementarity": float(_maximum(np.abs(y[held]), initial=0.0)),
    }
