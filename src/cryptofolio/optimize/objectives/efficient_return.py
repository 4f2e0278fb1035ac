"""Efficient return: the least variance with an expected return of at least ``target_return``.

Also the pieces the frontier walk and efficient risk share: the highest attainable return, the
efficient-return QP and its parametric segments (the active set is constant, and the weights
affine in the target, between two turning points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize.constraints import FEAS_TOL, extreme_return
from cryptofolio.optimize.engines.box_qp import box_qp, ridge, solve_verified, unverified
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.engines.kkt import ActiveSetFailure
from cryptofolio.optimize.engines.reduced import BoxQP, Reduced, reduced_solve
from cryptofolio.optimize.engines.segment import Segment, segment
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.min_variance import min_variance_weights
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


def max_return_portfolio(pb: Problem) -> tuple[float, np.ndarray]:
    """The highest attainable ``μ'w`` and its weights: greedy filling of the box, or an LP
    (HiGHS through ``scipy.optimize.linprog``) when a gross-exposure cap binds.

    Raises
    ------
    InfeasibleError
        The return is unbounded (unbounded short positions).
    """
    r, w = extreme_return(pb.box, pb.mu, maximise=True)
    box = pb.box
    if box.gross is not None and not (
        math.isfinite(r) and float(np.sum(np.abs(w))) <= box.gross + FEAS_TOL
    ):
        w = _max_return_lp(pb)
        r = float(pb.mu @ w)
    if not math.isfinite(r):
        raise InfeasibleError(
            "the maximum attainable return is unbounded: with unbounded short positions set "
            "min_weight/max_weight or a gross_exposure cap"
        )
    return r, w


def _max_return_lp(pb: Problem) -> np.ndarray:
    n, box = pb.n, pb.box
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
    return res.x[:n]


def efficient_return_qp(pb: Problem, target: float) -> BoxQP:
    """``min w'Σw + γ||w||²`` s.t. ``μ'w = target`` (the return row scaled by ``1/ms``)."""
    ms = pb.ms
    return box_qp(pb, ridge(pb.Ss, pb.l2 / pb.s), np.zeros(pb.n), (pb.mu / ms,), (target / ms,))


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
    """Continue the path past a segment's end by the pivot that ends it: the new state's
    segment at return ``r`` if ``r`` lies in it and the point passes the KKT check, else
    ``None`` (the caller solves)."""
    trial = state.copy()
    trial[pivot[0]] = pivot[1]
    try:
        sol, seg = frontier_path_segment(pb, qp, trial, r)
    except ActiveSetFailure:
        return None
    if not (seg.lo - 1e-12 <= r <= seg.hi + 1e-12):
        return None
    if unverified(qp, trial, sol):
        return None
    return sol, seg, trial


def efficient_return_weights(pb: Problem, target: float, warm: WarmStarts | None) -> np.ndarray:
    """The efficient-return weights within the box and the budget (KKT-verified points).

    Raises
    ------
    InfeasibleError
        ``target`` above the highest attainable return (the message gives the range).
    """
    r_max, w_max = max_return_portfolio(pb)
    tol = 1e-10 * max(1.0, abs(r_max))
    if target > r_max + tol:
        r_mv = float(pb.mu @ min_variance_weights(pb, warm))
        raise InfeasibleError(
            f"target return {target:g} is above the highest attainable return {r_max:g} under "
            f"these constraints; the efficient range is [{r_mv:g}, {r_max:g}] (annualised)"
        )
    if target >= r_max - tol:
        return w_max
    qp = efficient_return_qp(pb, target)
    try:
        sol, _ = solve_verified(qp, warm, ("effret", pb.l2, pb.box.key()))
    except SolverError:
        sol = None
    if sol is None or sol.nu[1] > 1e-10 * max(1.0, float(np.max(np.abs(sol.g)))):
        # the return constraint is slack (target below the min-variance return): mu'w >= target
        w = min_variance_weights(pb, warm)
        if float(pb.mu @ w) >= target - tol:
            return w
        if sol is None:
            raise SolverError("efficient-return: active-set solve failed", status="failure")
    return sol.y


@register_objective
@dataclass(frozen=True)
class EfficientReturn(ObjectiveSpec):
    """Least variance with ``μ'w >= target_return`` (annualised fraction)."""

    target_return: float | None = None
    name = "efficient-return"
    measure_units = "variance w'Σw (annualised, fraction²) at μ'w >= target_return"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return float(w @ pb.S @ w)

    def validate(self) -> None:
        if self.target_return is None:
            raise InfeasibleError("efficient-return needs target_return (annualised fraction)")
        if not math.isfinite(self.target_return):
            raise InfeasibleError(f"target_return must be finite, got {self.target_return}")

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        return Solution(efficient_return_weights(pb, float(self.target_return), warm))

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        ms = pb.ms
        prog.quad(prog.w, ridge(pb.Ss, pb.l2 / pb.s))
        if prog.cost is not None:
            prog.linear(prog.d, prog.cost / (2 * pb.s))
        terms = [(prog.w, -pb.mu[None, :] / ms)]
        if prog.cost is not None:
            terms.append((prog.d, prog.cost[None, :] / ms))
        prog.cb.le(terms, [-float(self.target_return) / ms])
