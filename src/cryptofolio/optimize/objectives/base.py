"""What an objective is: a small frozen spec that carries its parameters and solves a Problem.

An objective subclasses :class:`ObjectiveSpec` as a frozen dataclass, states what it needs
(:attr:`~ObjectiveSpec.uses_expected_returns`, :attr:`~ObjectiveSpec.uses_scenarios`) and
implements one or both of

* :meth:`~ObjectiveSpec.solve_exact`: a fast exact path for the box-and-budget problem without
  trading costs (the active-set or LP engines), or ``None`` where it does not apply;
* :meth:`~ObjectiveSpec.add_terms`: its terms in the general conic program, which handles every
  constraint (gross-exposure and turnover caps, transaction costs).

Objectives that are not convex programs (hierarchical allocations, risk budgeting) override
:meth:`~ObjectiveSpec.solve` itself and call :func:`check_allocation_problem` first: they are
long-only, fully invested closed forms that take no ridge, costs or turnover cap. The optimiser checks every returned weight vector against
the bounds, the budget and the caps before it becomes a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize.constraints import FEAS_TOL
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


@dataclass(frozen=True)
class Solution:
    """Weights of one solve (fractions of equity, in the problem's asset order).

    ``objective_value`` is in the solver's scaled units (NaN where the path does not form it);
    ``verified`` says the weights were already held to the bounds and the budget by a KKT check;
    ``risk_contributions`` (``(n,)``, fractions of the variance summing to 1) is reported by the
    objectives that allocate risk (risk parity, the hierarchical allocators), else ``None``.
    """

    weights: np.ndarray
    solver: str = "active-set"
    objective_value: float = math.nan
    verified: bool = False
    risk_contributions: np.ndarray | None = None


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


def check_allocation_problem(pb: Problem, name: str) -> None:
    """Check that a closed-form allocation (long-only, fully invested) can answer ``pb``.

    Raises
    ------
    InfeasibleError
        A budget other than 1, a positive lower bound, an L2 penalty, transaction costs or a
        turnover cap: the message names the setting and what to drop.
    """
    box = pb.box
    faults = []
    if abs(box.budget - 1.0) > FEAS_TOL:
        faults.append(f"a net exposure of {box.budget:g} (it invests exactly 1: --net-exposure 1)")
    floors = [a for a, lo in zip(pb.assets, box.lo, strict=True) if lo > FEAS_TOL]
    if floors:
        faults.append(f"positive lower bounds for {', '.join(floors)} (drop --min-weight/--bounds)")
    if pb.l2:
        faults.append("an L2 penalty (drop --l2)")
    if pb.trades is not None and pb.trades.active:
        faults.append("transaction costs or a turnover cap in the objective")
    if faults:
        raise InfeasibleError(
            f"{name} is a closed-form long-only allocation and cannot take " + "; ".join(faults)
        )


def check_upper_bounds(pb: Problem, name: str, w: np.ndarray) -> None:
    """Check the weights of a closed-form allocation against the upper bounds (named errors)."""
    over = np.flatnonzero(w > pb.box.hi + FEAS_TOL)
    if over.size:
        parts = ", ".join(f"{pb.assets[i]} {w[i]:.4g} > {pb.box.hi[i]:.4g}" for i in over)
        raise InfeasibleError(
            f"{name} weights exceed their upper bounds ({parts}): the allocation takes no weight "
            "caps; raise --max-weight/--bounds or use an optimised objective such as min-variance"
        )
