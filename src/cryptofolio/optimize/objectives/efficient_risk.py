"""Efficient risk: the highest expected return with volatility at most ``target_volatility``.

On the box problem without L2 the answer lies on the efficient-return path: a parametric
search along its affine segments finds the return whose variance equals the target. The conic
form is a second-order cone on ``Σ^(1/2) w``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize.engines.box_qp import solve_verified
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.efficient_return import (
    efficient_return_qp,
    frontier_path_segment,
    max_return_portfolio,
)
from cryptofolio.optimize.objectives.min_variance import min_variance_weights
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


def _segment_root(r: float, y, dy, Ss, v_t: float, bracket: tuple[float, float]) -> float:
    """The return on the segment through ``y`` (direction ``dy``) whose scaled variance is
    ``v_t``: ``v(t) = (y + (t-r) dy)' Ss (y + (t-r) dy)``; the bracket's midpoint if none."""
    A2 = float(dy @ Ss @ dy)
    B2 = 2 * float(y @ Ss @ dy)
    C2 = float(y @ Ss @ y) - v_t
    if A2 > 0:
        disc = max(B2 * B2 - 4 * A2 * C2, 0.0)
        return r + (-B2 + math.sqrt(disc)) / (2 * A2)
    if B2 > 0:
        return r - C2 / B2
    return 0.5 * (bracket[0] + bracket[1])


def efficient_risk_weights(pb: Problem, target_vol: float, warm: WarmStarts | None) -> np.ndarray:
    """The efficient-risk weights within the box and the budget (no L2 penalty).

    Raises
    ------
    InfeasibleError
        ``target_vol`` below the minimum-variance volatility (the message gives the range).
    """
    w_mv = min_variance_weights(pb, warm)
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
    a, b = r_mv, r_max  # bracket: vol(a) <= target < vol(b)
    r = r_mv + (r_max - r_mv) * (target_vol - vol_mv) / (vol_max - vol_mv)
    state = None
    qp = efficient_return_qp(pb, r)
    for _ in range(100):
        qp.c[1] = r / pb.ms
        sol, state = solve_verified(qp, None, None, state)
        sol, seg = frontier_path_segment(pb, qp, state, r)
        y, dy = sol.y, sol.dy
        if float(y @ pb.Ss @ y) - v_t > 0:
            b = min(b, r)
        else:
            a = max(a, r)
        root = _segment_root(r, y, dy, pb.Ss, v_t, (a, b))
        if seg.lo - 1e-12 <= root <= seg.hi + 1e-12 and a - 1e-12 <= root <= b + 1e-12:
            return y + (root - r) * dy
        r = root if a < root < b else 0.5 * (a + b)
    raise SolverError("efficient-risk: the parametric search did not converge", status="maxiter")


@register_objective
@dataclass(frozen=True)
class EfficientRisk(ObjectiveSpec):
    """Highest ``μ'w`` with ``sqrt(w'Σw) <= target_volatility`` (annualised fraction)."""

    target_volatility: float | None = None
    name = "efficient-risk"
    measure_units = "expected return μ'w (annualised, fraction) at sqrt(w'Σw) <= target_volatility"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return float(pb.mu @ w)

    def validate(self) -> None:
        vol = self.target_volatility
        if vol is None:
            raise InfeasibleError("efficient-risk needs target_volatility (annualised fraction)")
        if not (math.isfinite(vol) and vol > 0):
            raise InfeasibleError(f"target_volatility must be a finite number > 0, got {vol}")

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution | None:
        if pb.l2 > 0:
            return None  # the path is that of the variance alone: the conic form has the L2
        return Solution(efficient_risk_weights(pb, float(self.target_volatility), warm))

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        n, ms = pb.n, pb.ms
        vals, vecs = np.linalg.eigh(pb.S)
        L = (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
        prog.cb.soc(
            [(prog.w, np.vstack([np.zeros((1, n)), -L]))],
            np.concatenate([[float(self.target_volatility)], np.zeros(n)]),
        )
        if pb.l2:
            prog.quad(prog.w, 2 * pb.l2 / ms * np.eye(n))
        prog.linear(prog.w, -pb.mu / ms)
        if prog.cost is not None:
            prog.linear(prog.d, prog.cost / ms)
