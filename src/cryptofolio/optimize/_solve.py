"""Single-portfolio solves: dispatch between the exact active-set path and the conic path."""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cryptofolio._blas import single_blas_thread
from cryptofolio._frames import float_series
from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize._active_set import (
    ActiveSetFailure,
    BoxQP,
    Reduced,
    Segment,
    cold_state,
    kkt_residuals,
    reduced_solve,
    segment,
    solve_box_qp,
)
from cryptofolio.optimize._conic import ConicBuilder
from cryptofolio.optimize._constraints import Box, extreme_return, resolve_box
from cryptofolio.optimize._cvar import solve_min_cvar
from cryptofolio.optimize._inputs import (
    align_series,
    asset_labels,
    check_covariance,
    check_scenarios,
    cost_vector,
)
from cryptofolio.optimize._simplex import simplex_residuals, simplex_start, solve_simplex
from cryptofolio.optimize._types import Constraints, Objective, PortfolioResult

VERIFY_TOL = 1e-8
_any = np.logical_or.reduce  # (ndarray.any without numpy's Python-level wrapper)
FEAS_TOL = 1e-9

_WARM: OrderedDict[tuple, np.ndarray] = OrderedDict()


def clear_warm_starts() -> None:
    """Forget the active sets kept for warm starts (process-wide, keyed by problem structure).

    The next solve of each kind starts cold, as it would in a fresh process: for timing cold
    solves, or to free the memory (at most 64 small integer arrays)."""
    _WARM.clear()


def _warm_get(key: tuple) -> np.ndarray | None:
    state = _WARM.get(key)
    if state is not None:
        _WARM.move_to_end(key)
    return state


def _warm_put(key: tuple, state: np.ndarray) -> None:
    _WARM[key] = state.copy()
    _WARM.move_to_end(key)
    while len(_WARM) > 64:
        _WARM.popitem(last=False)


@dataclass
class Problem:
    """Validated numeric inputs in scaled units (covariance / ``s``, returns / ``ms``)."""

    assets: list[str]
    S: np.ndarray  # annualised covariance
    s: float  # covariance scale (mean variance)
    mu: np.ndarray | None
    box: Box
    l2: float
    rf: float
    index: pd.Index  # the assets as a pandas Index (labels of the result Series)

    @property
    def n(self) -> int:
        return len(self.assets)

    @functools.cached_property
    def Ss(self) -> np.ndarray:
        return self.S / self.s

    @property
    def ms(self) -> float:
        if self.mu is None:
            return 1.0
        return max(float(np.max(np.abs(self.mu))), abs(self.rf), 1e-12)


def make_problem(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None,
    constraints: Constraints,
    *,
    need_mu: bool,
    risk_free_rate: float = 0.0,
) -> Problem:
    assets, S = check_covariance(covariance)
    index = result_index(covariance.columns, assets)
    mu = align_series(expected_returns, assets, "expected returns", required=need_mu, index=index)
    return problem_of_values(assets, index, S, mu, constraints, risk_free_rate)


def result_index(columns: pd.Index, assets: list[str]) -> pd.Index:
    """The labels of a result: the covariance's own columns when they are strings (an Index
    is immutable: sharing it keeps its hash table), else the string labels ``assets``."""
    return columns if columns.inferred_type == "string" else pd.Index(assets)


def problem_of_values(
    assets: list[str],
    index: pd.Index,
    S: np.ndarray,
    mu: np.ndarray | None,
    constraints: Constraints,
    risk_free_rate: float,
) -> Problem:
    """The :class:`Problem` of checked values: ``S`` an exactly symmetric, finite covariance
    with a non-negative diagonal that is not all zero (what :func:`check_covariance` returns),
    ``mu`` finite or ``None``, ``index`` the assets as the labels of the result."""
    box = resolve_box(constraints, assets)
    s = float(S.trace()) / S.shape[0]  # the mean variance
    if not math.isfinite(risk_free_rate):
        raise InfeasibleError(f"risk_free_rate must be finite, got {risk_free_rate}")
    return Problem(assets, S, s, mu, box, float(constraints.l2), float(risk_free_rate), index)


# ----------------------------------------------------------------------------- box QPs


@functools.lru_cache(maxsize=8)
def _constant(n: int, value: float, rows: int = 0) -> np.ndarray:
    """A read-only array of ``value``: ``(n,)``, or ``(rows, n)`` (the budget row, the zero
    linear term of minimum variance), shared by the problems of one size."""
    out = np.full((rows, n) if rows else n, value)
    out.flags.writeable = False
    return out


def _qp(pb: Problem, P: np.ndarray, q: np.ndarray, extra_rows=(), extra_rhs=()) -> BoxQP:
    n = pb.n
    if extra_rows:
        A = np.vstack([np.ones((1, n)), *[np.atleast_2d(r) for r in extra_rows]])
    else:  # the budget row alone
        A = _constant(n, 1.0, 1)
    c = np.array([pb.box.budget, *extra_rhs], dtype=float)  # (written by the frontier sweeps)
    return BoxQP(
        P=P,
        q=q,
        A=A,
        a=_constant(A.shape[0], 0.0),
        c=c,
        lo=pb.box.lo,
        hi=pb.box.hi,
        simplex=not extra_rows and pb.box.long_only_within_budget,
    )


def _ridge(P: np.ndarray, gamma: float) -> np.ndarray:
    if gamma:
        P = P.copy()
        P[np.diag_indices_from(P)] += gamma
    return P


def minvar_hessian(pb: Problem) -> np.ndarray:
    """``P`` of min w'Σw + γ||w||² scaled by 1/(2s): ``Σ/s + (γ/s) I`` (no linear term)."""
    return _ridge(pb.Ss, pb.l2 / pb.s)


def utility_terms(pb: Problem, risk_aversion: float) -> tuple[np.ndarray, np.ndarray]:
    """``P`` and ``q`` of min 1/2 w'Σw - λ μ'w + γ||w||² scaled by 1/s."""
    return _ridge(pb.Ss, 2 * pb.l2 / pb.s), -risk_aversion * pb.mu / pb.s


def minvar_qp(pb: Problem) -> BoxQP:
    """min w'Σw + γ||w||² (scaled by 1/(2s))."""
    return _qp(pb, minvar_hessian(pb), _constant(pb.n, 0.0))


def utility_qp(pb: Problem, risk_aversion: float) -> BoxQP:
    """min 1/2 w'Σw - λ μ'w + γ||w||² (scaled by 1/s)."""
    return _qp(pb, *utility_terms(pb, risk_aversion))


def efficient_return_qp(pb: Problem, target: float) -> BoxQP:
    """min w'Σw + γ||w||² subject to μ'w = target (return row scaled by 1/ms)."""
    ms = pb.ms
    return _qp(pb, _ridge(pb.Ss, pb.l2 / pb.s), np.zeros(pb.n), [pb.mu / ms], [target / ms])


def max_sharpe_qp(pb: Problem) -> BoxQP:
    """Cornuejols-Tutuncu: min y'Σy s.t. (μ'y - rf k) = 1, 1'y = b k, lo k <= y <= hi k."""
    n, ms = pb.n, pb.ms
    A = np.vstack([pb.mu / ms, np.ones(n)])
    return BoxQP(
        P=_ridge(pb.Ss, pb.l2 / pb.s),
        q=np.zeros(n),
        A=A,
        a=np.array([-pb.rf / ms, -pb.box.budget]),
        c=np.array([1.0, 0.0]),
        lo=pb.box.lo,
        hi=pb.box.hi,
        homogeneous=True,
    )


def _over_tolerance(residuals: dict[str, float]) -> dict[str, float]:
    """The residuals above :data:`VERIFY_TOL` (a NaN residual counts too: a comparison with NaN
    is false, so it is tested as ``not <= tol``)."""
    return {k: v for k, v in residuals.items() if not v <= VERIFY_TOL}


def _unverified(qp: BoxQP, state: np.ndarray, sol) -> dict[str, float]:
    """The KKT residuals of ``sol`` above :data:`VERIFY_TOL`."""
    return _over_tolerance(kkt_residuals(qp, state, sol))


def solve_verified(qp: BoxQP, key: tuple | None, state: np.ndarray | None = None):
    """Active-set solve with warm start and KKT verification; returns (solution, state)."""
    if state is None and key is not None:
        state = _warm_get(key)
        if state is not None and state.shape[0] != qp.n:
            state = None
    try:
        sol, st, _ = solve_box_qp(qp, state)
    except ActiveSetFailure as exc:
        raise SolverError(f"active-set solver failed: {exc}", status="active-set-failure") from exc
    bad = _unverified(qp, st, sol)
    if bad:
        # one refinement: re-solve from the final state (rounding on an ill-conditioned system)
        sol = reduced_solve(qp, st)
        bad = _unverified(qp, st, sol)
        if bad:
            detail = ", ".join(f"{k}={v:.1e}" for k, v in bad.items())
            raise SolverError(
                f"the solution does not verify (KKT residuals above {VERIFY_TOL:g}: {detail}); "
                "the covariance may be too ill-conditioned: use a shrinkage risk model",
                status="unverified",
            )
    if key is not None:
        _warm_put(key, st)
    return sol, st


# ----------------------------------------------------------------------------- results


def check_weights(pb: Problem, W: np.ndarray) -> None:
    """Every row of ``W`` (portfolios x assets) within the bounds, budget and gross cap (1e-8).

    Raises
    ------
    SolverError
        Names the row and the violation; the weights are not returned.
    """
    box = pb.box
    viol = np.maximum(box.lo - W, W - box.hi).max(axis=1, initial=0.0)
    viol = np.maximum(viol, np.abs(W.sum(axis=1) - box.budget))
    if box.gross is not None:
        viol = np.maximum(viol, np.abs(W).sum(axis=1) - box.gross)
    tol = 1e-8 * np.maximum(1.0, np.abs(W).max(axis=1, initial=0.0))
    bad = ~np.isfinite(W).all(axis=1) | (viol > tol)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        where = f" (portfolio {j})" if W.shape[0] > 1 else ""
        raise SolverError(
            f"the solution{where} violates the constraints by {viol[j]:.1e}; not returned",
            status="infeasible",
        )


def _check_weight_vector(pb: Problem, w: np.ndarray) -> None:
    """:func:`check_weights` of one portfolio: the same figures in fewer array operations
    when the weights pass; otherwise :func:`check_weights` itself decides (and names the
    violation)."""
    box = pb.box
    size = np.abs(w)
    top = float(np.maximum.reduce(size, initial=0.0))
    total = float(np.add.reduce(w))
    outside = float(np.maximum.reduce(np.maximum(box.lo - w, w - box.hi), initial=0.0))
    viol = max(outside, abs(total - box.budget))
    if box.gross is not None:
        viol = max(viol, float(np.add.reduce(size)) - box.gross)
    # a NaN or infinite weight makes the sum NaN or infinite
    if not (math.isfinite(total) and viol <= 1e-8 * max(1.0, top)):
        check_weights(pb, w[None, :])


def make_result(
    pb: Problem,
    w: np.ndarray,
    objective: Objective,
    *,
    status: str = "optimal",
    solver: str = "active-set",
    objective_value: float = math.nan,
    verified: bool = False,
) -> PortfolioResult:
    """The result of the weights ``w``, checked against the bounds, the budget and the gross
    cap (:func:`check_weights`) unless ``verified``: weights a KKT check already held to the
    bounds and the budget (a QP whose unknowns are the weights themselves), with the gross cap
    checked by the caller."""
    if not verified:
        _check_weight_vector(pb, w)
    var = float(w @ pb.S @ w)
    vol = math.sqrt(max(var, 0.0))
    ret = float(pb.mu @ w) if pb.mu is not None else math.nan
    sharpe = (ret - pb.rf) / vol if vol > 0 and pb.mu is not None else math.nan
    return PortfolioResult(
        weights=float_series(w, pb.index, "weight"),
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        objective=objective,
        risk_free_rate=pb.rf,
        status=status,
        objective_value=objective_value,
        solver=solver,
    )


# ----------------------------------------------------------------------------- objectives


def max_return_portfolio(pb: Problem) -> tuple[float, np.ndarray]:
    """Highest attainable mu'w: greedy filling of the box, or an LP (HiGHS) with a gross cap."""
    r, w = extreme_return(pb.box, pb.mu, maximise=True)
    box = pb.box
    if box.gross is not None and not (
        math.isfinite(r) and float(np.sum(np.abs(w))) <= box.gross + FEAS_TOL
    ):
        from scipy.optimize import linprog

        n = pb.n
        c = np.concatenate([-pb.mu / pb.ms, np.zeros(n)])
        eye = np.eye(n)
        A_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, n)), np.ones((1, n))]])
        b_ub = np.concatenate([np.zeros(2 * n), [box.gross]])
        A_eq = np.concatenate([np.ones(n), np.zeros(n)])[None, :]
        lo = np.where(np.isfinite(box.lo), box.lo, None)
        hi = np.where(np.isfinite(box.hi), box.hi, None)
        bounds = [(lo[i], hi[i]) for i in range(n)] + [(0, None)] * n
        res = linprog(
            c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[box.budget], bounds=bounds, method="highs"
        )
        if res.status != 0:
            raise SolverError(f"max-return LP failed: {res.message}", status=str(res.status))
        w = res.x[:n]
        r = float(pb.mu @ w)
    if not math.isfinite(r):
        raise InfeasibleError(
            "the maximum attainable return is unbounded: with unbounded short positions set "
            "min_weight/max_weight or a gross_exposure cap"
        )
    return r, w


def solve_min_variance(pb: Problem) -> np.ndarray:
    if pb.box.long_only_within_budget:
        w = solve_on_simplex(pb, "minvar", minvar_hessian(pb), None)
        if w is not None:
            return w
    sol, _ = solve_verified(minvar_qp(pb), ("minvar", pb.l2, pb.box.key()))
    return sol.y


def solve_utility(pb: Problem, risk_aversion: float) -> np.ndarray:
    if not (math.isfinite(risk_aversion) and risk_aversion >= 0):
        raise InfeasibleError(f"risk_aversion must be a finite number >= 0, got {risk_aversion}")
    if pb.box.long_only_within_budget:
        P, q = utility_terms(pb, risk_aversion)
        w = solve_on_simplex(pb, "utility", P, q if _any(q) else None)
        if w is not None:
            return w
    sol, _ = solve_verified(utility_qp(pb, risk_aversion), ("utility", pb.l2, pb.box.key()))
    return sol.y


def solve_on_simplex(
    pb: Problem, kind: str, P: np.ndarray, q: np.ndarray | None
) -> np.ndarray | None:
    """The weights of a long-only problem within the budget (``pb.box.long_only_within_budget``)
    by :func:`~cryptofolio.optimize._simplex.solve_simplex`: ``min 1/2 w'Pw + q'w`` (the
    scaled terms of :func:`minvar_hessian` or :func:`utility_terms`; ``q`` ``None``: none), certified by
    :func:`~cryptofolio.optimize._simplex.simplex_residuals` (every residual at most
    :data:`VERIFY_TOL`) and warm-started from the last solve of the same ``kind`` and
    structure.

    ``None`` when the loop hands the problem back or the certificate fails: the caller then
    takes the general path (:func:`solve_verified`), which refines, or raises with the
    residuals.
    """
    key = ("simplex", kind, pb.l2, pb.box.key())
    start = _warm_get(key)
    free = start.copy() if start is not None else simplex_start(P, q)
    budget = pb.box.budget
    sol = solve_simplex(P, q, budget, free)
    if sol is None:
        return None
    if _over_tolerance(simplex_residuals(P, q, budget, pb.box.hi, sol)):
        return None
    _warm_put(key, sol.free)
    return sol.y


def check_sharpe_possible(pb: Problem) -> None:
    r_max, _ = extreme_return(pb.box, pb.mu, maximise=True)
    if r_max <= pb.rf:
        best = pb.assets[int(np.argmax(pb.mu))]
        raise InfeasibleError(
            f"max-sharpe needs a portfolio with expected return above the risk-free rate "
            f"{pb.rf:g}, but the highest attainable is {r_max:g} (best asset {best}: "
            f"{float(np.max(pb.mu)):g}); lower the risk-free rate or use min-variance"
        )


def solve_max_sharpe(pb: Problem) -> np.ndarray:
    """Max-Sharpe weights (the caller has checked :func:`check_sharpe_possible`)."""
    qp = max_sharpe_qp(pb)
    key = ("sharpe", pb.l2, pb.rf, pb.box.key())
    state = _warm_get(key)
    if state is None or state.shape[0] != qp.n:
        # a cold start from the assets with the best Sharpe ratio alone: 1-2 pivots where the
        # lowest variances took 5 on the 50- to 1000-asset benchmark panels
        sd = np.sqrt(np.maximum(pb.S.diagonal(), 1e-300))
        state = cold_state(qp, score=(pb.rf - pb.mu) / sd)
    sol, _ = solve_verified(qp, key, state)
    if not sol.k > 0:
        raise SolverError(
            "max-sharpe: the homogenised problem has no positive scale (the Sharpe ratio is "
            "unbounded or not attained); add bounds or a gross-exposure cap",
            status="unbounded",
        )
    return sol.y / sol.k


def solve_efficient_return(pb: Problem, target: float) -> np.ndarray:
    if not math.isfinite(target):
        raise InfeasibleError(f"target_return must be finite, got {target}")
    r_max, w_max = max_return_portfolio(pb)
    tol = 1e-10 * max(1.0, abs(r_max))
    if target > r_max + tol:
        r_mv = float(pb.mu @ solve_min_variance(pb))
        raise InfeasibleError(
            f"target return {target:g} is above the highest attainable return {r_max:g} under "
            f"these constraints; the efficient range is [{r_mv:g}, {r_max:g}] (annualised)"
        )
    if target >= r_max - tol:
        return w_max
    qp = efficient_return_qp(pb, target)
    try:
        sol, _ = solve_verified(qp, ("effret", pb.l2, pb.box.key()))
    except SolverError:
        sol = None
    if sol is None or sol.nu[1] > 1e-10 * max(1.0, float(np.max(np.abs(sol.g)))):
        # the return constraint is slack (target below the min-variance return): mu'w >= target
        w = solve_min_variance(pb)
        if float(pb.mu @ w) >= target - tol:
            return w
        if sol is None:
            raise SolverError("efficient-return: active-set solve failed", status="failure")
    return sol.y


def frontier_path_segment(
    pb: Problem, qp: BoxQP, state: np.ndarray, r: float
) -> tuple[Reduced, Segment]:
    """Reduced solution at return ``r`` with its derivative in ``r``, and the :class:`Segment`
    of returns on which ``state`` stays optimal (with the pivot that continues the path)."""
    c1 = np.zeros(qp.A.shape[0])
    c1[1] = 1.0 / pb.ms
    sol = reduced_solve(qp, state, c1=c1)
    return sol, segment(qp, state, sol, r)


def path_step(
    pb: Problem, qp: BoxQP, state: np.ndarray, pivot: tuple[int, int], r: float
) -> tuple[Reduced, Segment, np.ndarray] | None:
    """Continue the frontier past a segment's end by the pivot that ends it (one reduced solve
    instead of a pivoting solve): the new state's segment at return ``r``, if ``r`` lies in it
    and the point passes the independent KKT check; ``None`` otherwise (the caller solves)."""
    trial = state.copy()
    trial[pivot[0]] = pivot[1]
    try:
        sol, seg = frontier_path_segment(pb, qp, trial, r)
    except ActiveSetFailure:
        return None
    if not (seg.lo - 1e-12 <= r <= seg.hi + 1e-12):
        return None
    if _unverified(qp, trial, sol):
        return None
    return sol, seg, trial


def solve_efficient_risk(pb: Problem, target_vol: float) -> np.ndarray:
    if not (math.isfinite(target_vol) and target_vol > 0):
        raise InfeasibleError(f"target_volatility must be a finite number > 0, got {target_vol}")
    w_mv = solve_min_variance(pb)
    vol_mv = math.sqrt(max(float(w_mv @ pb.S @ w_mv), 0.0))
    r_max, w_max = max_return_portfolio(pb)
    vol_max = math.sqrt(max(float(w_max @ pb.S @ w_max), 0.0))
    if target_vol < vol_mv * (1 - 1e-9):
        raise InfeasibleError(
            f"target volatility {target_vol:g} is below the minimum attainable {vol_mv:g} "
            f"(minimum-variance portfolio); the attainable range is [{vol_mv:g}, {vol_max:g}] "
            "(annualised)"
        )
    r_mv = float(pb.mu @ w_mv)
    if target_vol >= vol_max or r_max - r_mv <= 1e-12 * max(1.0, abs(r_max)):
        return w_max
    if target_vol <= vol_mv:
        return w_mv
    v_t = target_vol**2 / pb.s
    Ss = pb.Ss
    a, b = r_mv, r_max  # bracket: vol(a) <= target < vol(b)
    r = r_mv + (r_max - r_mv) * (target_vol - vol_mv) / (vol_max - vol_mv)
    state = None
    qp = efficient_return_qp(pb, r)
    for _ in range(100):
        qp.c[1] = r / pb.ms
        sol, state = solve_verified(qp, None, state)
        sol, seg = frontier_path_segment(pb, qp, state, r)
        ta, tb = seg.lo, seg.hi
        y, dy = sol.y, sol.dy
        # variance on the segment: v(t) = (y + (t-r) dy)' Ss (y + (t-r) dy)
        A2 = float(dy @ Ss @ dy)
        B2 = 2 * float(y @ Ss @ dy)
        C2 = float(y @ Ss @ y) - v_t
        if C2 > 0:
            b = min(b, r)
        else:
            a = max(a, r)
        if A2 > 0:
            disc = max(B2 * B2 - 4 * A2 * C2, 0.0)
            root = r + (-B2 + math.sqrt(disc)) / (2 * A2)
        elif B2 > 0:
            root = r - C2 / B2
        else:
            root = 0.5 * (a + b)
        if ta - 1e-12 <= root <= tb + 1e-12 and a - 1e-12 <= root <= b + 1e-12:
            w = y + (root - r) * dy
            return w
        r = root if a < root < b else 0.5 * (a + b)
    raise SolverError("efficient-risk: the parametric search did not converge", status="maxiter")


# ----------------------------------------------------------------------------- conic path


def _add_box(cb: ConicBuilder, w: slice, box: Box, k: slice | None) -> None:
    n = box.n
    fin_hi = np.isfinite(box.hi)
    fin_lo = np.isfinite(box.lo)
    Id = sp.identity(n, format="csr")
    if k is None:
        cb.eq([(w, np.ones((1, n)))], [box.budget])
        if fin_hi.any():
            cb.le([(w, Id[fin_hi])], box.hi[fin_hi])
        if fin_lo.any():
            cb.le([(w, -Id[fin_lo])], -box.lo[fin_lo])
    else:
        cb.eq([(w, np.ones((1, n))), (k, [[-box.budget]])], [0.0])
        if fin_hi.any():
            cb.le([(w, Id[fin_hi]), (k, -box.hi[fin_hi][:, None])], np.zeros(int(fin_hi.sum())))
        if fin_lo.any():
            cb.le([(w, -Id[fin_lo]), (k, box.lo[fin_lo][:, None])], np.zeros(int(fin_lo.sum())))
        cb.le([(k, [[-1.0]])], [0.0])


def _add_gross(cb: ConicBuilder, w: slice, box: Box, k: slice | None) -> None:
    if box.gross is None:
        return
    n = box.n
    t = cb.var(n)
    Id = sp.identity(n, format="csr")
    cb.le([(w, Id), (t, -Id)], np.zeros(n))
    cb.le([(w, -Id), (t, -Id)], np.zeros(n))
    if k is None:
        cb.le([(t, np.ones((1, n)))], [box.gross])
    else:
        cb.le([(t, np.ones((1, n))), (k, [[-box.gross]])], [0.0])


def _add_trades(
    cb: ConicBuilder,
    w: slice,
    prev: np.ndarray | None,
    max_turnover: float | None,
    k: slice | None,
) -> slice | None:
    """d >= |w - prev| (times k when homogenised) and sum d <= max_turnover."""
    if prev is None:
        return None
    n = prev.shape[0]
    d = cb.var(n)
    Id = sp.identity(n, format="csr")
    if k is None:
        cb.le([(w, Id), (d, -Id)], prev)
        cb.le([(w, -Id), (d, -Id)], -prev)
        if max_turnover is not None:
            cb.le([(d, np.ones((1, n)))], [max_turnover])
    else:
        cb.le([(w, Id), (d, -Id), (k, -prev[:, None])], np.zeros(n))
        cb.le([(w, -Id), (d, -Id), (k, prev[:, None])], np.zeros(n))
        if max_turnover is not None:
            cb.le([(d, np.ones((1, n))), (k, [[-max_turnover]])], [0.0])
    return d


def solve_conic(
    pb: Problem,
    objective: Objective,
    *,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    target_volatility: float | None = None,
    scenarios: np.ndarray | None = None,
    cvar_alpha: float = 0.95,
    periods_per_year: float = 365.0,
    prev: np.ndarray | None = None,
    tc: np.ndarray | None = None,
    max_turnover: float | None = None,
    semivariance_benchmark: float = 0.0,
) -> tuple[np.ndarray, float]:
    """Any objective with any constraint as a Clarabel conic program; returns (w, objective)."""
    n, s = pb.n, pb.s
    homog = objective in (Objective.MAX_SHARPE, Objective.MAX_SORTINO)
    if prev is None and (max_turnover is not None or (tc is not None and np.any(tc > 0))):
        prev = np.zeros(n)
    cb = ConicBuilder()
    w = cb.var(n)
    k = cb.var(1) if homog else None
    _add_box(cb, w, pb.box, k)
    _add_gross(cb, w, pb.box, k)
    d = _add_trades(cb, w, prev, max_turnover, k)
    blocks: dict[tuple[int, int], object] = {}
    q_terms: list[tuple[slice, np.ndarray]] = []
    ms = pb.ms
    l2 = pb.l2 / s
    cost = tc if (tc is not None and d is not None and np.any(tc > 0)) else None

    def quad(sl: slice, M) -> None:
        blocks[(sl.start, sl.stop)] = M

    if objective in (Objective.MIN_VARIANCE, Objective.EFFICIENT_RETURN):
        quad(w, _ridge(pb.Ss, l2))
        if cost is not None:
            q_terms.append((d, cost / (2 * s)))
        if objective is Objective.EFFICIENT_RETURN:
            terms = [(w, -pb.mu[None, :] / ms)]
            if cost is not None:
                terms.append((d, cost[None, :] / ms))
            cb.le(terms, [-target_return / ms])
    elif objective is Objective.MAX_UTILITY:
        quad(w, _ridge(pb.Ss, 2 * l2))
        q_terms.append((w, -risk_aversion * pb.mu / s))
        if cost is not None:
            q_terms.append((d, risk_aversion * cost / s))
    elif objective is Objective.EFFICIENT_RISK:
        vals, vecs = np.linalg.eigh(pb.S)
        L = (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
        cb.soc(
            [(w, np.vstack([np.zeros((1, n)), -L]))],
            np.concatenate([[target_volatility], np.zeros(n)]),
        )
        if l2:
            quad(w, 2 * pb.l2 / ms * np.eye(n))
        q_terms.append((w, -pb.mu / ms))
        if cost is not None:
            q_terms.append((d, cost / ms))
    elif objective is Objective.MAX_SHARPE:
        quad(w, _ridge(pb.Ss, l2))
        terms = [(w, pb.mu[None, :] / ms), (k, [[-pb.rf / ms]])]
        if cost is not None:
            terms.append((d, -cost[None, :] / ms))
        cb.eq(terms, [1.0])
    elif objective in (Objective.MIN_SEMIVARIANCE, Objective.MAX_SORTINO, Objective.MIN_CVAR):
        R = scenarios
        T = R.shape[0]
        if objective is Objective.MIN_CVAR:
            alpha_v = cb.var(1)
            u = cb.var(T)
            IT = sp.identity(T, format="csr")
            cb.le([(w, -R), (alpha_v, -np.ones((T, 1))), (u, -IT)], np.zeros(T))
            cb.le([(u, -IT)], np.zeros(T))
            q_terms.append((alpha_v, np.ones(1)))
            q_terms.append((u, np.full(T, 1.0 / ((1 - cvar_alpha) * T))))
            if l2:
                quad(w, 2 * pb.l2 * np.eye(n))
            if cost is not None:
                q_terms.append((d, cost))
        else:
            nneg = cb.var(T)
            IT = sp.identity(T, format="csr")
            # n_t >= B k - r_t'w  (shortfall below the per-period benchmark B)
            bterm = [(k, np.full((T, 1), semivariance_benchmark))] if homog else []
            rhs = np.zeros(T) if homog else np.full(T, -semivariance_benchmark)
            cb.le([(w, -R), (nneg, -IT), *bterm], rhs)
            cb.le([(nneg, -IT)], np.zeros(T))
            quad(nneg, sp.identity(T, format="csr") * (2 * periods_per_year / (T * s)))
            if l2:
                quad(w, (2 * pb.l2 / s) * np.eye(n))
            if objective is Objective.MAX_SORTINO:
                terms = [(w, pb.mu[None, :] / ms), (k, [[-pb.rf / ms]])]
                if cost is not None:
                    terms.append((d, -cost[None, :] / ms))
                cb.eq(terms, [1.0])
            elif cost is not None:
                q_terms.append((d, cost / s))
    else:  # pragma: no cover - enum exhausted
        raise ValueError(objective)
    N = cb.nvar
    P = sp.lil_matrix((N, N))
    for (a0, a1), M in blocks.items():
        P[a0:a1, a0:a1] = M.toarray() if sp.issparse(M) else M
    q = np.zeros(N)
    for sl, v in q_terms:
        q[sl] += v
    x, status = cb.solve(sp.csc_matrix(P), q)
    val = 0.5 * x @ (P.tocsc() @ x) + q @ x
    if homog:
        kk = float(x[k][0])
        if not kk > 0:
            raise SolverError(f"{objective}: no positive scale in the homogenised problem", status)
        return x[w] / kk, val
    return x[w], val


# ----------------------------------------------------------------------------- CVaR LP


def historical_cvar(w: np.ndarray, R: np.ndarray, alpha: float) -> float:
    """Periodic CVaR at level ``alpha`` of the losses ``-R w``: min over a of
    ``a + mean((loss - a)+) / (1 - alpha)``, attained at a loss of the sample (exact)."""
    loss = -(R @ w)
    T = loss.size
    k = math.ceil(alpha * T - 1e-9) - 1
    a = float(np.partition(loss, k)[k])
    return a + float(np.maximum(loss - a, 0.0).sum()) / ((1 - alpha) * T)


def solve_min_cvar_lp(pb: Problem, R: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Rockafellar-Uryasev LP with HiGHS (box + budget, no L2/costs); returns (w, CVaR).

    Variables (w, a, u): min a + sum(u) / ((1 - alpha) T) s.t. -R w - a - u <= 0, u >= 0,
    sum w = budget, lo <= w <= hi. The scenarios are divided by max |R| before solving. The
    answer is verified three ways: HiGHS's status, the LP duality certificate from its
    marginals (stationarity and gap, 1e-7 relative), and the CVaR of the weights computed
    directly from the scenarios against the LP's objective (1e-7 relative).
    """
    from scipy.optimize import linprog

    n, T = pb.n, R.shape[0]
    rs = max(float(np.max(np.abs(R))), 1e-300)
    Rs = R / rs
    c = np.concatenate([np.zeros(n), [1.0], np.full(T, 1.0 / ((1 - alpha) * T))])
    A_ub = sp.hstack(
        [sp.csr_matrix(-Rs), sp.csr_matrix(-np.ones((T, 1))), -sp.identity(T, format="csr")],
        format="csc",
    )
    A_eq = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(1 + T)])[None, :])
    lb = np.concatenate([pb.box.lo, [-np.inf], np.zeros(T)])
    ub = np.concatenate([pb.box.hi, [np.inf], np.full(T, np.inf)])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(T),
        A_eq=A_eq,
        b_eq=[pb.box.budget],
        bounds=np.column_stack([lb, ub]),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise SolverError(f"min-cvar LP (HiGHS) failed: {res.message}", status=str(res.status))
    x = res.x
    y_ub, y_eq = res.ineqlin.marginals, res.eqlin.marginals
    lam_l, lam_u = res.lower.marginals, res.upper.marginals
    resid = c - A_ub.T @ y_ub - A_eq.T @ y_eq - lam_l - lam_u
    dual = float(
        y_eq @ [pb.box.budget]
        + lam_l[np.isfinite(lb)] @ lb[np.isfinite(lb)]
        + lam_u[np.isfinite(ub)] @ ub[np.isfinite(ub)]
    )
    w = x[:n]
    direct = historical_cvar(w, Rs, alpha)
    scale = max(1.0, abs(res.fun))
    errs = {
        "stationarity": float(np.max(np.abs(resid))),
        "dual_sign": float(max(np.max(y_ub, initial=0.0), np.max(-lam_l, initial=0.0), 0.0)),
        "gap": abs(res.fun - dual) / scale,
        "cvar_of_weights": abs(res.fun - direct) / scale,
    }
    bad = {k: v for k, v in errs.items() if v > 1e-7}
    if bad:
        detail = ", ".join(f"{k}={v:.1e}" for k, v in bad.items())
        raise SolverError(
            f"the min-cvar LP solution does not verify: {detail}", status="unverified"
        )
    return w, direct * rs


# ----------------------------------------------------------------------------- entry point

QP_OBJECTIVES = {
    Objective.MIN_VARIANCE,
    Objective.MAX_SHARPE,
    Objective.MAX_UTILITY,
    Objective.EFFICIENT_RETURN,
    Objective.EFFICIENT_RISK,
}


#: Objectives that do not use the expected returns.
NO_MU_OBJECTIVES = frozenset(
    {Objective.MIN_VARIANCE, Objective.MIN_SEMIVARIANCE, Objective.MIN_CVAR}
)


#: Up to this many assets the optimiser's BLAS calls (Cholesky of at most n x n, products of
#: n-vectors) are below OpenBLAS's threading thresholds: no thread limit is needed.
SMALL_PROBLEM = 64


def _small_problem(covariance: object, *args: object, **kwargs: object) -> bool:
    columns = getattr(covariance, "columns", None)  # (a DataFrame's: one length, not two)
    # (the labels' list, kept for the same Index and needed by the checks anyway: the length
    # of a pyarrow-backed Index is two Python-level calls)
    return isinstance(columns, pd.Index) and len(asset_labels(columns)) <= SMALL_PROBLEM


@single_blas_thread(small=_small_problem)
def optimize_portfolio(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None = None,
    *,
    objective: Objective = Objective.MIN_VARIANCE,
    constraints: Constraints = Constraints(),
    risk_free_rate: float = 0.0,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    target_volatility: float | None = None,
    returns: pd.DataFrame | None = None,
    cvar_alpha: float = 0.95,
    periods_per_year: float = 365.0,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
) -> PortfolioResult:
    """Solve one portfolio problem and verify the solution before returning it.

    Parameters
    ----------
    covariance
        Annualised covariance (assets x assets), symmetric PSD.
    expected_returns
        Annualised expected returns (fractions); required by every objective that uses returns.
    objective
        What to optimise; see :class:`Objective`.
    constraints
        Budget (net exposure), bounds, gross-exposure cap and L2 penalty.
    risk_free_rate
        Annual risk-free rate (fraction) for the Sharpe and Sortino ratios.
    risk_aversion
        λ of max-utility: minimise 1/2 w'Σw - λ μ'w.
    target_return, target_volatility
        Annualised targets of efficient-return (μ'w >= target) and efficient-risk (σ <= target).
    returns
        Periodic scenario returns (T x N, no NaN) for min-semivariance, max-sortino, min-cvar.
    cvar_alpha
        CVaR confidence level (0.95: mean of the worst 5 % periodic losses).
    periods_per_year
        Annualisation of the semivariance (365 daily, 8760 hourly).
    previous_weights, transaction_cost, max_turnover
        Turnover-aware optimisation: cost ``transaction_cost * |w - w_prev|`` (fraction of
        notional per asset) and cap ``sum |w - w_prev| <= max_turnover``. Without costs or a cap,
        ``previous_weights`` only serves as a warm start.

    Raises
    ------
    InfeasibleError
        Constraints in conflict, a target outside the attainable range, or no asset above the
        risk-free rate for max-sharpe.
    SolverError
        The solver failed or the solution did not verify.
    """
    if type(objective) is not Objective:  # (a member already: skip the enum lookup)
        objective = Objective(objective)
    pb = make_problem(
        covariance,
        expected_returns,
        constraints,
        need_mu=objective not in NO_MU_OBJECTIVES,
        risk_free_rate=risk_free_rate,
    )
    return solve_problem(
        pb,
        objective,
        risk_aversion=risk_aversion,
        target_return=target_return,
        target_volatility=target_volatility,
        returns=returns,
        cvar_alpha=cvar_alpha,
        periods_per_year=periods_per_year,
        previous_weights=previous_weights,
        transaction_cost=transaction_cost,
        max_turnover=max_turnover,
    )


def solve_problem(
    pb: Problem,
    objective: Objective,
    *,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    target_volatility: float | None = None,
    returns: pd.DataFrame | None = None,
    cvar_alpha: float = 0.95,
    periods_per_year: float = 365.0,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
) -> PortfolioResult:
    """:func:`optimize_portfolio` of a validated :class:`Problem` (same arguments)."""
    prev = None
    if previous_weights is not None:
        prev = align_series(
            previous_weights, pb.assets, "previous weights", required=True, index=pb.index
        )
    tc = cost_vector(transaction_cost, pb.assets)
    if max_turnover is not None and not (math.isfinite(max_turnover) and max_turnover >= 0):
        raise InfeasibleError(f"max_turnover must be a finite number >= 0, got {max_turnover}")
    if max_turnover is not None and prev is None:
        raise InfeasibleError("max_turnover needs previous_weights (the current portfolio)")
    if objective is Objective.EFFICIENT_RETURN and target_return is None:
        raise InfeasibleError("efficient-return needs target_return (annualised fraction)")
    if objective is Objective.EFFICIENT_RISK and target_volatility is None:
        raise InfeasibleError("efficient-risk needs target_volatility (annualised fraction)")
    if objective is Objective.MAX_UTILITY and not (
        math.isfinite(risk_aversion) and risk_aversion >= 0
    ):
        raise InfeasibleError(f"risk_aversion must be a finite number >= 0, got {risk_aversion}")
    if objective is Objective.MIN_CVAR and not (0 < cvar_alpha < 1):
        raise InfeasibleError(f"cvar_alpha must lie strictly between 0 and 1, got {cvar_alpha}")
    if objective in (Objective.MAX_SHARPE, Objective.MAX_SORTINO):
        check_sharpe_possible(pb)
    if max_turnover is not None and prev is not None:
        from cryptofolio.optimize._constraints import FEAS_TOL as FT

        # the closest feasible point to prev in L1 must be within max_turnover
        lo_gap = np.maximum(pb.box.lo - prev, 0).sum() + np.maximum(prev - pb.box.hi, 0).sum()
        net_gap = abs(pb.box.budget - float(np.clip(prev, pb.box.lo, pb.box.hi).sum()))
        need = lo_gap + net_gap
        if need > max_turnover + FT:
            raise InfeasibleError(
                f"max_turnover {max_turnover:g} is too small: reaching the bounds and the budget "
                f"from the previous weights needs a turnover of at least {need:g}"
            )
    costly = bool(_any(tc))  # (cost_vector checked: >= 0)
    w = None
    if (
        objective in QP_OBJECTIVES
        and not costly
        and not (objective is Objective.EFFICIENT_RISK and pb.l2 > 0)
    ):
        try:
            if objective is Objective.MIN_VARIANCE:
                w = solve_min_variance(pb)
            elif objective is Objective.MAX_UTILITY:
                w = solve_utility(pb, risk_aversion)
            elif objective is Objective.MAX_SHARPE:
                w = solve_max_sharpe(pb)
            elif objective is Objective.EFFICIENT_RETURN:
                w = solve_efficient_return(pb, float(target_return))
            else:
                w = solve_efficient_risk(pb, float(target_volatility))
        except SolverError:
            w = None  # fall back to the conic path, verified there
        if w is not None:
            # the box problem relaxes the gross and turnover caps: optimal if they hold
            ok = pb.box.gross is None or float(np.sum(np.abs(w))) <= pb.box.gross + FEAS_TOL
            if max_turnover is not None:
                ok = ok and float(np.sum(np.abs(w - prev))) <= max_turnover + FEAS_TOL
            if ok:
                # minimum variance and utility solve for the weights themselves, verified
                # (VERIFY_TOL) against the bounds and the budget; the others are rescaled
                # (max-Sharpe) or combined (efficient risk) from verified points
                verified = objective is Objective.MIN_VARIANCE or objective is Objective.MAX_UTILITY
                return make_result(pb, w, objective, verified=verified)
    scenarios = None
    if objective in (Objective.MIN_SEMIVARIANCE, Objective.MAX_SORTINO, Objective.MIN_CVAR):
        scenarios = check_scenarios(returns, pb.assets, str(objective))
    if (
        objective is Objective.MIN_CVAR
        and not costly
        and max_turnover is None
        and pb.l2 == 0
        and np.all(np.isfinite(pb.box.lo) | np.isfinite(pb.box.hi))
    ):
        try:
            w, val = solve_min_cvar(pb, scenarios, cvar_alpha)
        except SolverError:
            w = None  # fall back to the conic path, verified there
        if w is not None and (
            pb.box.gross is None or float(np.sum(np.abs(w))) <= pb.box.gross + FEAS_TOL
        ):
            return make_result(pb, w, objective, solver="highs", objective_value=val)
    w, val = solve_conic(
        pb,
        objective,
        risk_aversion=risk_aversion,
        target_return=target_return,
        target_volatility=target_volatility,
        scenarios=scenarios,
        cvar_alpha=cvar_alpha,
        periods_per_year=periods_per_year,
        prev=prev if (costly or max_turnover is not None) else None,
        tc=tc if costly else None,
        max_turnover=max_turnover,
    )
    return make_result(pb, w, objective, solver="clarabel", objective_value=float(val))


__all__ = ["clear_warm_starts", "optimize_portfolio"]
