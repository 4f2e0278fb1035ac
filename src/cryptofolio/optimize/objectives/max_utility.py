"""Maximum utility: ``min 1/2 w'Σw - λ μ'w + γ||w||²`` (Σ, μ annualised; λ ``risk_aversion``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.engines.box_qp import box_qp, ridge, solve_on_simplex, solve_verified
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.engines.reduced import BoxQP
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


def utility_terms(pb: Problem, risk_aversion: float) -> tuple[np.ndarray, np.ndarray]:
    """``P`` and ``q`` of ``min 1/2 w'Σw - λ μ'w + γ||w||²`` scaled by ``1/s``."""
    return ridge(pb.Ss, 2 * pb.l2 / pb.s), -risk_aversion * pb.mu / pb.s


def utility_qp(pb: Problem, risk_aversion: float) -> BoxQP:
    """The box QP of maximum utility (scaled by ``1/s``)."""
    return box_qp(pb, *utility_terms(pb, risk_aversion))


@register_objective
@dataclass(frozen=True)
class MaxUtility(ObjectiveSpec):
    """Mean-variance utility; ``risk_aversion`` is λ, the weight of the expected return
    against half the variance (a larger λ takes more risk)."""

    risk_aversion: float = 1.0
    name = "max-utility"
    measure_units = "utility λ μ'w - w'Σw / 2 (annualised, fraction; λ = risk_aversion)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return self.risk_aversion * float(pb.mu @ w) - 0.5 * float(w @ pb.S @ w)

    def validate(self) -> None:
        lam = self.risk_aversion
        if not (math.isfinite(lam) and lam >= 0):
            raise InfeasibleError(f"risk_aversion must be a finite number >= 0, got {lam}")

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        P, q = utility_terms(pb, self.risk_aversion)
        if pb.box.long_only_within_budget:
            w = solve_on_simplex(pb, "utility", P, q if np.any(q) else None, warm)
            if w is not None:
                return Solution(w, verified=True)
        sol, _ = solve_verified(
            utility_qp(pb, self.risk_aversion), warm, ("utility", pb.l2, pb.box.key())
        )
        return Solution(sol.y, verified=True)

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        prog.quad(prog.w, ridge(pb.Ss, 2 * pb.l2 / pb.s))
        prog.linear(prog.w, -self.risk_aversion * pb.mu / pb.s)
        if prog.cost is not None:
            prog.linear(prog.d, self.risk_aversion * prog.cost / pb.s)
