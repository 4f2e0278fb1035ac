"""What an objective is: a small frozen spec that carries its parameters and solves a Problem.

An objective subclasses :class:`ObjectiveSpec` as a frozen dataclass, states what it needs
(:attr:`~ObjectiveSpec.uses_expected_returns`, :attr:`~ObjectiveSpec.uses_scenarios`) and
implements one or both of

* :meth:`~ObjectiveSpec.solve_exact`: a fast exact path for the box-and-budget problem without
  trading costs (the active-set or LP engines), or ``None`` where it does not apply;
* :meth:`~ObjectiveSpec.add_terms`: its terms in the general conic program, which handles every
  constraint (gross-exposure and turnover caps, transaction costs).

Objectives that are not convex programs (hierarchical allocations, say) override
:meth:`~ObjectiveSpec.solve` itself. The optimiser checks every returned weight vector against
the bounds, the budget and the caps before it becomes a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cryptofolio.errors import SolverError
from cryptofolio.optimize.constraints import FEAS_TOL
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


@dataclass(frozen=True)
class Solution:
    """Weights of one solve (fractions of equity, in the problem's asset order).

    ``objective_value`` is in the solver's scaled units (NaN where the path does not form it);
    ``verified`` says the weights were already held to the bounds and the budget by a KKT check.
    """

    weights: np.ndarray
    solver: str = "active-set"
    objective_value: float = math.nan
    verified: bool = False


@dataclass(frozen=True)
class ObjectiveSpec:
    """Base class of the objectives (subclasses are frozen dataclasses with a ``name``)."""

    name: ClassVar[str]
    #: Whether the objective reads the expected returns (``Problem.mu``).
    uses_expected_returns: ClassVar[bool] = True
    #: Whether the objective reads the periodic scenario returns (``Problem.scenarios``).
    uses_scenarios: ClassVar[bool] = False
    #: Whether the conic program is homogenised (ratio objectives).
    homogeneous: ClassVar[bool] = False
    #: What :meth:`measure` returns, in words with its units (``PortfolioResult.objective_units``).
    measure_units: ClassVar[str] = ""

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        """The value of what the objective optimises at the weights ``w``, in natural units
        (:attr:`measure_units`), without the L2 and trading-cost penalty terms; NaN for an
        allocation that optimises no measure."""
        return math.nan

    def validate(self) -> None:
        """Check the spec's own parameters (raise ``InfeasibleError`` naming the parameter)."""

    def check(self, pb: Problem) -> None:
        """Check that the problem admits a solution of this objective (named errors)."""

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution | None:
        """The exact solution without trading costs, or ``None``: take the conic path."""
        return None

    def add_terms(self, prog: ConicProgram) -> None:
        """Add the objective's terms and rows to the general conic program."""
        raise NotImplementedError(f"{self.name} has no conic formulation")

    def solve(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        """The exact path when it applies and its weights meet the caps, else the conic path."""
        if pb.trades is None or not pb.trades.costly:
            try:
                sol = self.solve_exact(pb, warm)
            except SolverError:
                sol = None  # the conic path decides (and verifies)
            if sol is not None and within_caps(pb, sol.weights):
                return sol
        prog = ConicProgram(pb, name=self.name, homogeneous=self.homogeneous)
        self.add_terms(prog)
        w, val = prog.solve()
        return Solution(w, solver="clarabel", objective_value=float(val))


def within_caps(pb: Problem, w: np.ndarray) -> bool:
    """Whether ``w`` meets the gross-exposure and turnover caps, which the box problem relaxes."""
    box = pb.box
    if box.gross is not None and float(np.sum(np.abs(w))) > box.gross + FEAS_TOL:
        return False
    cap = pb.max_turnover
    if cap is not None:
        prev = pb.trades.prev
        return float(np.sum(np.abs(w - prev))) <= cap + FEAS_TOL
    return True
