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

import math
from dataclasses import dataclass

import numpy as np

from cryptofolio.optimize.engines.kkt import (
    ActiveSetFailure,
    cho_solve,
    cholesky,
    indefinite_solve,
    kkt_solve,
)
from cryptofolio.optimize.engines.simplex import COLD_FREE, grow_cap, simplex_start, solve_simplex

FREE, LOWER, UPPER = 0, -1, 1

# the reductions of the hot loops called as ufuncs (what ndarray.sum/.max/.any call, without
# numpy's Python-level wrapper around them)
_add = np.add.reduce
_maximum = np.maximum.reduce
_any = np.logical_or.reduce


@dataclass
class BoxQP:
    """A scaled problem; see the module docstring. Arrays are float64."""

    P: np.ndarray
    q: np.ndarray
    A: np.ndarray  # (m, n)
    a: np.ndarray  # (m,) coefficient of k per equality row (all 0 when not homogeneous)
    c: np.ndarray  # (m,)
    lo: np.ndarray
    hi: np.ndarray
    homogeneous: bool = False
    # the budget row alone (A = [1 ... 1], a = 0, c > 0) with lo = 0 and hi >= c: only the
    # zero bounds can bind, and solve_box_qp takes the lighter loop of _simplex_solve
    simplex: bool = False

    @property
    def n(self) -> int:
        return self.q.shape[0]


@dataclass
class Reduced:
    """Solution of the reduced KKT system for one pivot state (and optionally its derivative
    with respect to a parameter ``t`` entering through ``q + t q1`` and ``c + t c1``)."""

    y: np.ndarray
    k: float
    nu: np.ndarray
    g: np.ndarray  # gradient of the Lagrangian without the bound multipliers: P y + q + A' nu
    dy: np.ndarray | None = None
    dk: float = 0.0
    dnu: np.ndarray | None = None
    dg: np.ndarray | None = None


def _bound_values(prob: BoxQP, state: np.ndarray, bound: np.ndarray) -> np.ndarray:
    return np.where(state[bound] < 0, prob.lo[bound], prob.hi[bound])


def _take2(M: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``M[np.ix_(rows, cols)]`` without the index-grid overhead (``M`` itself when every row
    and column is taken: callers must not modify the result)."""
    if rows.size == M.shape[0] and cols.size == M.shape[1]:
        return M
    return M.take(rows, axis=0).take(cols, axis=1)


def reduced_solve(
    prob: BoxQP,
    state: np.ndarray,
    q1: np.ndarray | None = None,
    c1: np.ndarray | None = None,
) -> Reduced:
    """Solve the equality-constrained QP where the variables in ``state != 0`` sit at their bound."""
    if q1 is None and c1 is None:
        if prob.homogeneous:
            sol = _homogeneous_solve(prob, state)
            if sol is not None:
                return sol
        elif prob.A.shape[0] == 1:
            return _one_row_solve(prob, state)
    free = state == FREE
    fi = free.nonzero()[0]
    bi = (~free).nonzero()[0]
    P, A = prob.P, prob.A
    m = A.shape[0]
    if bi.size:
        bv = np.where(state[bi] < 0, prob.lo[bi], prob.hi[bi])
        # only the bound variables away from zero enter the products (long-only: none); P is
        # symmetric, so its rows are sliced (contiguous) instead of its columns
        nzb = bv != 0
        bn, bvn = bi[nzb], bv[nzb]
    else:
        bv = bn = bvn = np.empty(0)
        bn = np.empty(0, dtype=np.intp)
    pb = bvn @ P[bn] if bn.size else np.zeros(prob.n)
    Pff = _take2(P, fi, fi)
    Af = A.take(fi, axis=1)
    ab = A[:, bn] @ bvn if bn.size else np.zeros(m)
    if prob.homogeneous:
        # variables z = (y_F, k); y_B = bv * k
        nf = fi.size + 1
        H = np.empty((nf, nf))
        H[:-1, :-1] = Pff
        H[:-1, -1] = pb[fi]
        H[-1, :-1] = pb[fi]
        H[-1, -1] = bvn @ pb[bn]
        lin = np.concatenate([prob.q[fi], [prob.q[bn] @ bvn]])
        G = np.concatenate([Af, (ab + prob.a)[:, None]], axis=1)
        rhs_c = prob.c.copy()
        lin1 = None if q1 is None else np.concatenate([q1[fi], [q1[bn] @ bvn]])
    else:
        H = Pff
        lin = prob.q[fi] + pb[fi]
        G = Af
        rhs_c = prob.c - ab - prob.a  # k == 1
        lin1 = None if q1 is None else q1[fi]
    ncols = 1 if (q1 is None and c1 is None) else 2
    r1 = np.empty((H.shape[0], ncols))
    r2 = np.empty((m, ncols))
    r1[:, 0] = -lin
    r2[:, 0] = rhs_c
    if ncols == 2:
        r1[:, 1] = 0.0 if lin1 is None else -lin1
        r2[:, 1] = 0.0 if c1 is None else c1
    z, nu = kkt_solve(H, G, r1, r2)
    y = np.zeros((prob.n, ncols))
    if prob.homogeneous:
        y[fi] = z[:-1]
        y[bi] = np.outer(bv, z[-1])
        k = z[-1]
    else:
        y[fi] = z
        y[bi] = bv[:, None]
        if ncols == 2:
            y[bi, 1] = 0.0
        k = np.array([1.0, 0.0][:ncols])
    if bn.size:
        nz = np.concatenate([fi, bn])
        g = P[nz].T @ y[nz]
    elif fi.size == prob.n:
        g = P @ y
    else:
        g = P.take(fi, axis=0).T @ y[fi]
    g += A.T @ nu
    g[:, 0] += prob.q
    if ncols == 2 and q1 is not None:
        g[:, 1] += q1
    out = Reduced(y=y[:, 0], k=float(k[0]), nu=nu[:, 0], g=g[:, 0])
    if ncols == 2:
        out.dy, out.dk, out.dnu, out.dg = y[:, 1], float(k[1]), nu[:, 1], g[:, 1]
    return out


def _free_block(
    prob: BoxQP, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What both fast reduced solves start from: the free indices, the bound values (0 at the
    free indices; per unit of ``k`` when homogeneous), the indices bound away from zero
    (long-only: none), the free rows of ``P`` (``P`` is symmetric) and the free block."""
    fi = (state == FREE).nonzero()[0]
    y = np.where(state < 0, prob.lo, prob.hi)
    y[fi] = 0.0
    bn = (y != 0.0).nonzero()[0]
    Pf = prob.P.take(fi, axis=0)
    return fi, y, bn, Pf, Pf.take(fi, axis=1)


def _one_row_solve(prob: BoxQP, state: np.ndarray) -> Reduced:
    """:func:`reduced_solve` of an ordinary QP with one equality row (the budget: minimum
    variance, utility), in a few array operations: the free block ``H = P_FF`` is factorised
    once and solved for both right-hand sides, and the 1 x 1 Schur complement is a division."""
    P, q, a = prob.P, prob.q, prob.A[0]
    fi, y, bn, Pf, H = _free_block(prob, state)
    if not fi.size:
        raise ActiveSetFailure("singular reduced KKT system (too few free variables)")
    af = a.take(fi)
    rhs = np.empty((fi.size, 2))
    rhs[:, 0] = -q.take(fi)
    rhs[:, 1] = af
    c = prob.c[0] - prob.a[0]  # k == 1
    if bn.size:
        yb = y.take(bn)
        rhs[:, 0] -= Pf.take(bn, axis=1) @ yb
        c -= a.take(bn) @ yb
    try:
        sol = cho_solve(cholesky(H), rhs)
    except np.linalg.LinAlgError:
        z, nu = indefinite_solve(H, af[None, :], rhs[:, :1], np.array([[c]]))
        sol = np.column_stack([z[:, 0], np.zeros(fi.size)])
        nu_v = float(nu[0, 0])
    else:
        schur = float(af @ sol[:, 1])
        if not schur > 0.0:
            raise ActiveSetFailure("singular reduced KKT system (dependent rows)")
        nu_v = (float(af @ sol[:, 0]) - c) / schur
        sol[:, 0] -= nu_v * sol[:, 1]
    z = sol[:, 0]
    # a NaN or infinite entry makes the sum NaN or infinite
    if not (math.isfinite(float(z.sum())) and math.isfinite(nu_v)):
        raise ActiveSetFailure("singular reduced KKT system")
    y[fi] = z
    g = Pf.T @ z
    if bn.size:
        g += P.take(bn, axis=0).T @ y.take(bn)
    g += q
    g += nu_v * a
    return Reduced(y=y, k=1.0, nu=np.array([nu_v]), g=g)


def _homogeneous_solve(prob: BoxQP, state: np.ndarray) -> Reduced | None:
    """:func:`reduced_solve` of the homogenised problem (max Sharpe) by eliminating the free
    block: ``None`` when ``P_FF`` is not positive definite or the free columns of ``A`` do not
    have full row rank (the general path, which keeps ``k`` in the block, then decides).

    With ``u = y_F``, bound values ``y_B = b k``, ``p = P_FB b``, ``beta = b'P_BB b``,
    ``h0 = A_B b + a`` and ``X = P_FF^-1 [q_F, p, A_F']`` (one factorisation, one solve), the
    KKT conditions reduce to ``s k + h'nu = r`` and ``h k - S nu = e`` with ``S = A_F X_A``,
    ``s = beta - p'X_p``, ``h = h0 - A_F X_p``, ``r = p'X_q - q_B'b``, ``e = c + A_F X_q``:
    ``k = (r + h'S^-1 e) / (s + h'S^-1 h)``, ``nu = S^-1 (h k - e)``,
    ``u = -(X_q + X_p k + X_A nu)``. Long-only without binding caps (``b = 0``) makes the
    k-block of the reduced Hessian zero, which the general path can only solve as an
    indefinite system."""
    P, q, A = prob.P, prob.q, prob.A
    m = A.shape[0]
    if np.count_nonzero(state == FREE) < m:  # S below would be singular; the k column may
        return None  # still make the reduced system solvable
    fi, y, bn, Pf, H = _free_block(prob, state)
    Af = A.take(fi, axis=1)
    rhs = np.empty((fi.size, 2 + m))
    rhs[:, 0] = q.take(fi)
    rhs[:, 2:] = Af.T
    h0 = prob.a.copy()
    if bn.size:
        b = y.take(bn)
        rhs[:, 1] = Pf.take(bn, axis=1) @ b
        beta = float(b @ P.take(bn, axis=0).take(bn, axis=1) @ b)
        h0 += A.take(bn, axis=1) @ b
        qb = float(q.take(bn) @ b)
    else:
        rhs[:, 1] = 0.0
        beta = qb = 0.0
    try:
        X = cho_solve(cholesky(H), rhs)
    except np.linalg.LinAlgError:
        return None
    Xq, Xp, XA = X[:, 0], X[:, 1], X[:, 2:]
    p = rhs[:, 1]
    S = Af @ XA
    try:
        Ls = cholesky(S)
    except np.linalg.LinAlgError:
        return None
    d = np.abs(Ls.diagonal())
    if d.min() <= 1e-7 * d.max():  # the free columns of A are (nearly) dependent
        return None
    h = h0 - Af @ Xp
    e = prob.c + Af @ Xq
    Sh = cho_solve(Ls, np.column_stack([h, e]))
    den = beta - float(p @ Xp) + float(h @ Sh[:, 0])
    if not den > 0.0:
        raise ActiveSetFailure("singular reduced KKT system")
    k = (float(p @ Xq) - qb + float(h @ Sh[:, 1])) / den
    nu = Sh[:, 0] * k - Sh[:, 1]
    u = -(Xq + Xp * k + XA @ nu)
    if not (np.isfinite(u).all() and np.isfinite(nu).all() and np.isfinite(k)):
        raise ActiveSetFailure("singular reduced KKT system")
    y *= k
    y[fi] = u
    g = Pf.T @ u
    if bn.size:
        g += P.take(bn, axis=0).T @ y.take(bn)
    g += q
    g += A.T @ nu
    return Reduced(y=y, k=k, nu=nu, g=g)


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
    n = prob.n
    if state is None:
        state = cold_state(prob)
    else:
        state = state.astype(np.int8, copy=True)
        # never bind an infinite bound
        state[(state == LOWER) & ~np.isfinite(prob.lo)] = FREE
        state[(state == UPPER) & ~np.isfinite(prob.hi)] = FREE
    if prob.simplex:
        out = _simplex_solve(prob, state, tol)
        if out is not None:
            return out
    finite_lo = prob.lo[np.isfinite(prob.lo)]
    scale_y = max(1.0, _max0(np.abs(finite_lo)))
    # the reduced KKT system needs as many free unknowns as equality rows (k is one of them
    # in the homogeneous form)
    min_free = prob.A.shape[0] - (1 if prob.homogeneous else 0)
    best, fails = n + 1, 0
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
        scale_g = max(1.0, _max0(np.abs(sol.g)))
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
            # backup rule: pivot only the most violated indices (a shrinking fraction, down to
            # Murty's single pivot, which terminates for positive definite problems)
            ranked = _ranked_pivots(sol, prob, below, above, wrong, scale_g)
            keep = max(1, int(count * 0.5 ** (fails - 2)))
            if fails > 12:
                keep = 1
            chosen = {p[0] for p in ranked[:keep]}
            retreat = (last[0], [p for p in ranked if p[0] not in chosen])
            below = np.array([i for i in below if i in chosen], dtype=int)
            above = np.array([i for i in above if i in chosen], dtype=int)
            wrong = np.array([i for i in wrong if i in chosen], dtype=int)
        n_free = int(np.count_nonzero(state == FREE))
        cap = grow_cap(n_free, n)
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
    raise ActiveSetFailure(f"active-set pivoting did not converge in {max_iter} pivots")


def _simplex_solve(
    prob: BoxQP, state: np.ndarray, tol: float, max_iter: int = 50
) -> tuple[Reduced, np.ndarray, int] | None:
    """:func:`solve_box_qp` for a problem with ``prob.simplex`` (minimum variance or utility,
    long-only, within the budget): :func:`~cryptofolio.optimize.engines.simplex.solve_simplex` from
    the free set of ``state`` (bound variables sit at 0), as a :class:`Reduced` and a state.

    Returns ``None`` (the caller then runs the general pivoting) where that function does: a
    free block that is not positive definite, a result that is not finite, or ``max_iter``
    steps."""
    q = prob.q if _any(prob.q) else None  # minimum variance has none: one right-hand side
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
    shrinking it from everything (measured: 1-3 pivots instead of 3-9 for 10-50 assets)."""
    n = prob.n
    if score is None and prob.simplex:
        state = np.full(n, LOWER, dtype=np.int8)
        state[simplex_start(prob.P, prob.q if _any(prob.q) else None)] = FREE
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


def _max0(x: np.ndarray) -> float:
    """``max(x, 0)`` (0 for an empty array; NaN when ``x`` holds a NaN)."""
    return float(_maximum(x, axis=None, initial=0.0))


def kkt_residuals(prob: BoxQP, state: np.ndarray, sol: Reduced) -> dict[str, float]:
    """Independent check of every KKT condition of ``prob`` at ``sol`` (scaled units)."""
    y, k = sol.y, sol.k
    Py = prob.P @ y
    g = Py + prob.q + prob.A.T @ sol.nu  # recomputed, not taken from the solve
    eq = _max0(np.abs(prob.A @ y + prob.a * k - prob.c))
    if k == 1.0:  # an ordinary QP: the bounds themselves
        lo_k, hi_k = prob.lo, prob.hi
    elif k > 0:  # +-inf bounds stay infinite
        lo_k, hi_k = prob.lo * k, prob.hi * k
    else:  # a degenerate homogeneous scale: an infinite bound times 0 is no bound
        lo_k = np.where(np.isfinite(prob.lo), prob.lo * k, -np.inf)
        hi_k = np.where(np.isfinite(prob.hi), prob.hi * k, np.inf)
    bound = _max0(np.maximum(lo_k - y, y - hi_k))
    free = state == FREE
    stat = _max0(np.abs(np.where(free, g, 0.0)))
    # a lower-bound variable needs g >= 0, an upper-bound one g <= 0: state * g <= 0
    sign = _max0(state * g)
    # complementarity: a variable reported at a bound must sit on it (a bound variable's
    # bound is finite; the free entries are masked out)
    at = np.where(state < 0, lo_k, hi_k)
    comp = _max0(np.abs(np.where(free, 0.0, y - at)))
    scale = max(1.0, _max0(np.abs(Py)), _max0(np.abs(prob.q)))
    return {
        "equality": eq,
        "bounds": bound,
        "stationarity": stat / scale,
        "multiplier_sign": sign / scale,
        "complementarity": comp,
    }
