"""Minimum variance: ``min w'Σw + γ||w||²`` (Σ annualised; γ the L2 penalty of the constraints)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptofolio.optimize.engines.box_qp import box_qp, ridge, solve_on_simplex, solve_verified
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.engines.reduced import BoxQP
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


def minvar_hessian(pb: Problem) -> np.ndarray:
    """``P`` of ``min w'Σw + γ||w||²`` scaled by ``1/(2s)``: ``Σ/s + (γ/s) I``."""
    return ridge(pb.Ss, pb.l2 / pb.s)


def minvar_qp(pb: Problem) -> BoxQP:
    """The box QP of minimum variance (scaled by ``1/(2s)``)."""
    return box_qp(pb, minvar_hessian(pb), np.zeros(pb.n))


def min_variance_weights(pb: Problem, warm: WarmStarts | None) -> np.ndarray:
    """The minimum-variance weights within the box and the budget (KKT-verified)."""
    P = minvar_hessian(pb)
    if pb.box.long_only_within_budget:
        w = solve_on_simplex(pb, "minvar", P, None, warm)
        if w is not None:
            return w
    sol, _ = solve_verified(minvar_qp(pb), warm, ("minvar", pb.l2, pb.box.key()))
    return sol.y


@register_objective
@dataclass(frozen=True)
class MinVariance(ObjectiveSpec):
    """The portfolio of least variance (no parameters)."""

    name = "min-variance"
    uses_expected_returns = False
    measure_units = "variance w'Σw (annualised, fraction²)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return float(w @ pb.S @ w)

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        return Solution(min_variance_weights(pb, warm), verified=True)

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        prog.quad(prog.w, ridge(pb.Ss, pb.l2 / pb.s))
        if prog.cost is not None:
            prog.linear(prog.d, prog.cost / (2 * pb.s))
