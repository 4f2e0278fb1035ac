"""The reduced KKT solve of a box QP for a given active set (the core of the active-set engine).

A state fixes which bounds bind (``state[i]``: 0 free, -1 at its lower bound, +1 at its upper
bound); :func:`reduced_solve` solves the equality-constrained QP over the free variables
(Cholesky with a Schur complement, a symmetric indefinite factorisation when the reduced
Hessian is singular) and returns the point, the multipliers and the gradient.
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

FREE, LOWER, UPPER = 0, -1, 1

# the reductions of the hot loops called as ufuncs (what ndarray.sum/.max/.any call, without
# numpy's Python-level wrapper around them)
_add = np.add.reduce
_maximum = np.maximum.reduce
_any = np.logical_or.reduce


def max0(x: np.ndarray) -> float:
    """``max(x, 0)`` (0 for an empty array; NaN when ``x`` holds a NaN)."""
    return float(_maximum(x, axis=None, initial=0.0))


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
    m = prob.A.shape[0]
    if bi.size:
        bv = np.where(state[bi] < 0, prob.lo[bi], prob.hi[bi])
        # only the bound variables away from zero enter the products (long-only: none); P is
        # symmetric, so its rows are sliced (contiguous) instead of its columns
        nzb = bv != 0
        bn, bvn = bi[nzb], bv[nzb]
    else:
        bv = bn = bvn = np.empty(0)
        bn = np.empty(0, dtype=np.intp)
    H, lin, G, rhs_c, lin1 = _reduced_system(prob, fi, bn, bvn, q1)
    ncols = 1 if (q1 is None and c1 is None) else 2
    r1 = np.empty((H.shape[0], ncols))
    r2 = np.empty((m, ncols))
    r1[:, 0] = -lin
    r2[:, 0] = rhs_c
    if ncols == 2:
        r1[:, 1] = 0.0 if lin1 is None else -lin1
        r2[:, 1] = 0.0 if c1 is None else c1
    z, nu = kkt_solve(H, G, r1, r2)
    return _reduced_point(prob, (fi, bi, bn, bv), z, nu, q1)


def _reduced_system(
    prob: BoxQP, fi: np.ndarray, bn: np.ndarray, bvn: np.ndarray, q1: np.ndarray | None
) -> tuple:
    """``H``, the linear term, ``G``, the equality right-hand side and the second linear term
    of the reduced KKT system over the free variables ``fi`` (bound variables ``bn`` at their
    non-zero bound values ``bvn``)."""
    P, A = prob.P, prob.A
    pb = bvn @ P[bn] if bn.size else np.zeros(prob.n)
    Pff = _take2(P, fi, fi)
    Af = A.take(fi, axis=1)
    ab = A[:, bn] @ bvn if bn.size else np.zeros(A.shape[0])
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
    return H, lin, G, rhs_c, lin1


def _reduced_point(
    prob: BoxQP, sets: tuple, z: np.ndarray, nu: np.ndarray, q1: np.ndarray | None
) -> Reduced:
    """The full point, multipliers and gradient from the reduced solution ``z`` (one column, or
    two with the derivative)."""
    fi, bi, bn, bv = sets
    P, A = prob.P, prob.A
    ncols = z.shape[1]
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
