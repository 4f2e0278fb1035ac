"""Dense active-set solver for box-constrained QPs with a few equality rows.

Solves, exactly up to rounding,

    minimise    1/2 y'P y + q'y
    subject to  A y + a k = c          (m equality rows, m small)
                lo_i k <= y_i <= hi_i k

where ``k`` is either fixed at 1 (an ordinary QP: ``homogeneous=False``) or a free scalar
variable (the homogenised max-Sharpe problem of Cornuejols and Tutuncu, ``homogeneous=True``).

The method is block principal pivoting (Judice and Pires, 1994) with Murty's single-pivot
safeguard: guess which bounds bind, solve the reduced equality-constrained KKT system directly
(Cholesky with a Schur complement, or a symmetric indefinite factorisation when the reduced
Hessian is singular), then free the bound variables whose multipliers have the wrong sign and bind
the free variables that violate a bound. When no variable is infeasible the point satisfies every
KKT condition exactly, so the returned solution is optimal, not just "close". A warm start (the
state of a previous, related solve) usually converges in one or two pivots.

The pivot sets are the only state: ``state[i]`` is 0 (free), -1 (at its lower bound) or +1 (at
its upper bound).
"""

from __future__ import annotations

import numpy as np

from cryptofolio.optimize.engines.kkt import (
    ActiveSetFailure,
)
from cryptofolio.optimize.engines.reduced import (
    FREE,
    LOWER,
    UPPER,
    BoxQP,
    Reduced,
    max0,
    reduced_solve,
)
from cryptofolio.optimize.engines.simplex import COLD_FREE, grow_cap, simplex_start, solve_simplex


def infeasible_sets(
    prob: BoxQP, state: np.ndarray, sol: Reduced, tol_p: float, tol_d: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of free variables below/above their bound and of bound variables whose
    multiplier has the wrong sign.

    ``state * g`` is ``-g`` at a lower bound, ``g`` at an upper and 0 when free, so the wrong
    signs are where it exceeds the tolerance. With ``k == 1`` a bound variable sits exactly on
    its bound (``reduced_solve`` sets it so), so only free variables can lie outside and no
    mask is needed; a homogeneous iterate may have ``k <= 0``, where ``lo k > hi k``."""
    y, k, g = sol.y, sol.k, sol.g
    wrong = (state * g > tol_d).nonzero()[0]
    if k == 1.0:
        return (y < prob.lo - tol_p).nonzero()[0], (y > prob.hi + tol_p).nonzero()[0], wrong
    free = state == FREE
    below = free & (y < prob.lo * k - tol_p)
    above = free & (y > prob.hi * k + tol_p)
    return below.nonzero()[0], above.nonzero()[0], wrong


def _ranked_pivots(
    sol: Reduced,
    prob: BoxQP,
    below: np.ndarray,
    above: np.ndarray,
    wrong: np.ndarray,
    scale_g: float,
) -> list[tuple[int, int]]:
    """The pivots (index, new state) that would fix each infeasibility, most violated first."""
    viol = np.concatenate(
        [
            prob.lo[below] * sol.k - sol.y[below],
            sol.y[above] - prob.hi[above] * sol.k,
            np.abs(sol.g[wrong]) / scale_g,
        ]
    )
    idx = np.concatenate([below, above, wrong])
    new = np.concatenate(
        [np.full(below.size, LOWER), np.full(above.size, UPPER), np.full(wrong.size, FREE)]
    )
    order = np.argsort(-viol, kind="stable")
    return list(zip(idx[order].tolist(), new[order].tolist(), strict=True))


def solve_box_qp(
    prob: BoxQP,
    state: np.ndarray | None = None,
    *,
    tol: float = 1e-11,
    max_iter: int = 500,
) -> tuple[Reduced, np.ndarray, int]:
    """Block principal pivoting; returns the solution, the final state and the pivot count."""
    state = _start_state(prob, state)
    if prob.simplex:
        out = _simplex_solve(prob, state, tol)
        if out is not None:
            return out
    finite_lo = prob.lo[np.isfinite(prob.lo)]
    scale_y = max(1.0, max0(np.abs(finite_lo)))
    # the reduced KKT system needs as many free unknowns as equality rows (k is one of them
    # in the homogeneous form)
    min_free = prob.A.shape[0] - (1 if prob.homogeneous else 0)
    best, fails = prob.n + 1, 0
    # the last state whose reduced system was solvable, with its violators (ranked lazily, most
    # violated first): when a block pivot lands on a singular state (its free variables cannot
    # meet the equality rows, e.g. one free asset for a budget and a return target), go back to
    # it and pivot single indices instead
    retreat: tuple[np.ndarray, list[tuple[int, int]]] | None = None
    last: tuple | None = None  # (state, sol, below, above, wrong, scale_g) of the last solve
    for it in range(max_iter):
        try:
            sol = reduced_solve(prob, state)
        except ActiveSetFailure:
            if it == 0 and (state != FREE).any():  # a stale warm start: restart cold
                state[:] = FREE
                continue
            if retreat is None and last is not None:
                retreat = (last[0], _ranked_pivots(*last[1:]))
            if retreat is None or not retreat[1]:
                raise
            state = retreat[0].copy()
            i, to = retreat[1].pop(0)
            state[i] = to
            fails = max(fails, 13)  # single pivots from here on (Murty)
            last = None
            continue
        scale_g = max(1.0, max0(np.abs(sol.g)))
        tol_p = tol * scale_y * max(1.0, abs(sol.k))
        tol_d = tol * scale_g
        below, above, wrong = infeasible_sets(prob, state, sol, tol_p, tol_d)
        count = below.size + above.size + wrong.size
        if count == 0:
            return sol, state, it
        if count < best:
            best, fails = count, 0
        else:
            fails += 1
        last = (state.copy(), sol, prob, below, above, wrong, scale_g)
        retreat = None
        if fails >= 3:
            below, above, wrong, retreat = _backup_rule(last, count, fails)
        _pivot(prob, state, sol, (below, above, wrong), min_free)
    raise ActiveSetFailure(f"active-set pivoting did not converge in {max_iter} pivots")


def _start_state(prob: BoxQP, state: np.ndarray | None) -> np.ndarray:
    """The pivoting's first state: a cold start, or a copy of ``state`` that binds no
    infinite bound."""
    if state is None:
        return cold_state(prob)
    state = state.astype(np.int8, copy=True)
    state[(state == LOWER) & ~np.isfinite(prob.lo)] = FREE
    state[(state == UPPER) & ~np.isfinite(prob.hi)] = FREE
    return state


def _backup_rule(last: tuple, count: int, fails: int) -> tuple:
    """Pivot only the most violated indices (a shrinking fraction, down to Murty's single
    pivot, which terminates for positive definite problems): the chosen ``below``, ``above``,
    ``wrong`` and the retreat (the state with the pivots left, most violated first)."""
    state, sol, prob, below, above, wrong, scale_g = last
    ranked = _ranked_pivots(sol, prob, below, above, wrong, scale_g)
    keep = max(1, int(count * 0.5 ** (fails - 2)))
    if fails > 12:
        keep = 1
    chosen = {p[0] for p in ranked[:keep]}
    retreat = (state, [p for p in ranked if p[0] not in chosen])
    below = np.array([i for i in below if i in chosen], dtype=int)
    above = np.array([i for i in above if i in chosen], dtype=int)
    wrong = np.array([i for i in wrong if i in chosen], dtype=int)
    return below, above, wrong, retreat


def _pivot(prob: BoxQP, state: np.ndarray, sol: Reduced, violators: tuple, min_free: int) -> None:
    """Bind the variables ``below`` / ``above`` their bounds and free the ``wrong`` ones (at
    most :func:`grow_cap` of them), in ``state``."""
    below, above, wrong = violators
    n_free = int(np.count_nonzero(state == FREE))
    cap = grow_cap(n_free, prob.n)
    if wrong.size > cap:
        # free the most negative multipliers first: the free set at most doubles, so a
        # sparse solution never meets a full (and, with n > T, singular) n x n system
        wrong = wrong[np.argsort(-np.abs(sol.g[wrong]), kind="stable")[:cap]]
    short = min_free - (n_free - below.size - above.size) - wrong.size
    if short > 0:
        # binding the violators would leave too few free variables to meet the equality
        # rows (a singular reduced system: e.g. three assets at a cap of 0.3 and the fourth
        # bound at 0 cannot make a budget of 1): also free the bound variables whose
        # multipliers say they gain most from moving off their bound
        wrong = np.concatenate(
            [wrong, _most_attractive(prob, sol, state, below, above, wrong, short)]
        )
    state[below] = LOWER
    state[above] = UPPER
    state[wrong] = FREE


def _simplex_solve(
    prob: BoxQP, state: np.ndarray, tol: float, max_iter: int = 50
) -> tuple[Reduced, np.ndarray, int] | None:
    """:func:`solve_box_qp` for a problem with ``prob.simplex`` (minimum variance or utility,
    long-only, within the budget): :func:`~cryptofolio.optimize.engines.simplex.solve_simplex` from
    the free set of ``state`` (bound variables sit at 0), as a :class:`Reduced` and a state.

    Returns ``None`` (the caller then runs the general pivoting) where that function does: a
    free block that is not positive definite, a result that is not finite, or ``max_iter``
    steps."""
    q = (
        prob.q if np.logical_or.reduce(prob.q) else None
    )  # minimum variance has none: one right-hand side
    sol = solve_simplex(prob.P, q, float(prob.c[0]), state == FREE, tol=tol, max_iter=max_iter)
    if sol is None:
        return None
    final = np.full(prob.n, LOWER, dtype=np.int8)
    final[sol.free] = FREE
    return Reduced(y=sol.y, k=1.0, nu=np.array([sol.nu]), g=sol.g), final, sol.steps


def _most_attractive(
    prob: BoxQP,
    sol: Reduced,
    state: np.ndarray,
    below: np.ndarray,
    above: np.ndarray,
    freeing: np.ndarray,
    count: int,
) -> np.ndarray:
    """The ``count`` bound variables (not already in ``freeing``) whose multiplier is smallest
    in the direction that leaves their bound (``g`` at a lower bound, ``-g`` at an upper).

    With one equality row and ``k`` fixed, only the side that can close the row's gap after the
    pivot is considered (variables at a lower bound when the bound values fall short of the
    right-hand side, at an upper bound when they overshoot it), so the next state can be
    feasible."""
    nxt = state.copy()
    nxt[below] = LOWER
    nxt[above] = UPPER
    bound = (nxt != FREE).nonzero()[0]
    bound = bound[~np.isin(bound, np.concatenate([freeing, below, above]))]
    if prob.A.shape[0] == 1 and not prob.homogeneous:
        a = prob.A[0]
        held = (nxt != FREE).nonzero()[0]
        values = np.where(nxt[held] < 0, prob.lo[held], prob.hi[held])
        gap = prob.c[0] - prob.a[0] - float(a[held] @ values)
        side = np.sign(a[bound]) * np.where(nxt[bound] < 0, 1.0, -1.0)  # +: raises a'y
        usable = side * gap > 0
        if usable.any():
            bound = bound[usable]
    score = np.where(nxt[bound] == LOWER, sol.g[bound], -sol.g[bound])
    return bound[np.argsort(score, kind="stable")[:count]]


def cold_state(prob: BoxQP, score: np.ndarray | None = None) -> np.ndarray:
    """Initial guess: every variable with a finite lower bound at that bound, except the few
    with the smallest ``score`` (by default ``P_ii / 2 + q_i``: the cheapest to hold alone),
    which start free; within the budget (``prob.simplex``, no ``score``), the start of
    :func:`~cryptofolio.optimize.engines.simplex.simplex_start`.

    Long-only solutions hold few assets (a minimum-variance portfolio of 50 coins holds about
    10), so growing the free set from a handful of candidates takes fewer pivots than
    shrinking it from everything."""
    n = prob.n
    if score is None and prob.simplex:
        state = np.full(n, LOWER, dtype=np.int8)
        state[simplex_start(prob.P, prob.q if np.logical_or.reduce(prob.q) else None)] = FREE
        return state
    state = np.zeros(n, dtype=np.int8)
    fin = np.isfinite(prob.lo)
    if score is None:
        score = 0.5 * prob.P.diagonal() + prob.q
    count = max(COLD_FREE, 2 * prob.A.shape[0])
    keep = np.argpartition(score, count - 1)[:count] if count < n else slice(None)
    state[fin] = LOWER
    state[keep] = FREE
    return state
