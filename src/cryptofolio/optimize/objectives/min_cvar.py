"""Minimum CVaR: the mean of the worst ``1 - alpha`` share of periodic losses ``-r_t'w``.

Rockafellar-Uryasev: ``min a + 1/((1 - alpha) T) sum_t u_t`` with ``u_t >= -r_t'w - a``,
``u_t >= 0``. On box and budget constraints alone the LP is solved exactly by scenario
generation with HiGHS and certified by its duality (``engines/cvar_generation.py``); with an L2
penalty, costs or caps the conic program takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.engines.cvar_generation import solve_min_cvar
from cryptofolio.optimize.measures import historical_cvar
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


@register_objective
@dataclass(frozen=True)
class MinCVaR(ObjectiveSpec):
    """Least CVaR at confidence ``alpha`` (0.95: the mean of the worst 5 % periodic losses)."""

    alpha: float = 0.95
    name = "min-cvar"
    uses_expected_returns = False
    uses_scenarios = True
    measure_units = "CVaR: mean of the worst 1 - alpha share of periodic losses (fraction)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return historical_cvar(w, pb.scenarios, self.alpha)

    def validate(self) -> None:
        if not (0 < self.alpha < 1):
            raise InfeasibleError(f"cvar_alpha must lie strictly between 0 and 1, got {self.alpha}")

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution | None:
        box = pb.box
        if pb.max_turnover is not None or pb.l2 != 0:
            return None
        if not np.all(np.isfinite(box.lo) | np.isfinite(box.hi)):
            return None
        w, val = solve_min_cvar(pb, pb.scenarios, self.alpha)
        return Solution(w, solver="highs", objective_value=val)

    def add_terms(self, prog: ConicProgram) -> None:
        pb, cb = prog.pb, prog.cb
        R = pb.scenarios
        T = R.shape[0]
        level = cb.var(1)
        u = cb.var(T)
        IT = sp.identity(T, format="csr")
        cb.le([(prog.w, -R), (level, -np.ones((T, 1))), (u, -IT)], np.zeros(T))
        cb.le([(u, -IT)], np.zeros(T))
        prog.linear(level, np.ones(1))
        prog.linear(u, np.full(T, 1.0 / ((1 - self.alpha) * T)))
        if pb.l2:
            prog.quad(prog.w, 2 * pb.l2 * np.eye(pb.n))
        if prog.cost is not None:
            prog.linear(prog.d, prog.cost)
