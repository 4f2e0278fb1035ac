"""Maximum utility: ``max μ'w - (δ/2) w'Σw``, solved as ``min 1/2 w'Σw - λ μ'w + γ||w||²``.

Σ, μ annualised; ``risk_aversion`` δ (PyPortfolioOpt's and the literature's meaning: a larger δ
takes less risk) or ``risk_tolerance`` λ = 1/δ; γ the L2 penalty of the constraints, added to
half the variance as for every objective.
"""

from __future__ import annotations

import math
import warnings
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


def utility_terms(pb: Problem, risk_tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """``P`` and ``q`` of ``min 1/2 w'Σw - λ μ'w + γ||w||²`` scaled by ``1/s`` (λ
    ``risk_tolerance``)."""
    return ridge(pb.Ss, 2 * pb.l2 / pb.s), -risk_tolerance * pb.mu / pb.s


def utility_qp(pb: Problem, risk_tolerance: float) -> BoxQP:
    """The box QP of maximum utility (scaled by ``1/s``)."""
    return box_qp(pb, *utility_terms(pb, risk_tolerance))


class RiskAversionMeaningWarning(DeprecationWarning):
    """``risk_aversion`` given with a value other than 1: its meaning changed after 0.1.0
    (it is δ now; λ = 1/δ, the former meaning, is ``risk_tolerance``)."""


@register_objective
@dataclass(frozen=True)
class MaxUtility(ObjectiveSpec):
    """Mean-variance utility with ``risk_aversion`` δ > 0 (``max μ'w - (δ/2) w'Σw``) or
    ``risk_tolerance`` λ >= 0 (``min 1/2 w'Σw - λ μ'w``, λ = 1/δ; 0 is min-variance); at most
    one of the two; neither gives δ = λ = 1.

    In cryptofolio 0.1.0 ``risk_aversion`` was λ (a larger value took more risk): a value other
    than 1 given as ``risk_aversion`` warns (:class:`RiskAversionMeaningWarning`, a
    ``DeprecationWarning``) that it now means δ.
    """

    risk_aversion: float | None = None
    risk_tolerance: float | None = None
    name = "max-utility"

    @property
    def measure_units(self) -> str:  # type: ignore[override]
        """The utility's form: with δ (``μ'w - (δ/2) w'Σw``), or ``-w'Σw/2`` when λ = 0."""
        if self.tolerance == 0:
            return "utility -w'Σw / 2 (risk_tolerance 0; annualised, fraction²)"
        return "utility μ'w - (δ/2) w'Σw (annualised, fraction; δ = risk_aversion = 1/λ)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        var = float(w @ pb.S @ w)
        lam = self.tolerance
        return -0.5 * var if lam == 0 else float(pb.mu @ w) - 0.5 * var / lam

    def __post_init__(self) -> None:
        if self.risk_aversion is not None and self.risk_tolerance is not None:
            raise InfeasibleError(
                "max-utility: give risk_aversion (δ) or risk_tolerance (λ = 1/δ), not both"
            )
        if self.risk_aversion is not None and self.risk_aversion != 1:
            warnings.warn(
                f"risk_aversion={self.risk_aversion:g} is δ of max μ'w - (δ/2) w'Σw (larger: "
                "less risk); in cryptofolio 0.1.0 it was λ of 1/2 w'Σw - λ μ'w. For that "
                f"form pass risk_tolerance={self.risk_aversion:g} instead",
                RiskAversionMeaningWarning,
                stacklevel=3,
            )

    @property
    def tolerance(self) -> float:
        """λ, the weight of the expected return against half the variance (1/δ)."""
        if self.risk_tolerance is not None:
            return float(self.risk_tolerance)
        if self.risk_aversion is not None:
            return 1.0 / float(self.risk_aversion) if self.risk_aversion > 0 else math.inf
        return 1.0

    def validate(self) -> None:
        delta, lam = self.risk_aversion, self.risk_tolerance
        if delta is not None and not (math.isfinite(delta) and delta > 0):
            raise InfeasibleError(
                f"risk_aversion must be a finite number > 0 (δ), got {delta} (δ → ∞ is "
                "min-variance: use that objective, or risk_tolerance=0)"
            )
        if lam is not None and not (math.isfinite(lam) and lam >= 0):
            raise InfeasibleError(f"risk_tolerance λ must be a finite number >= 0, got {lam}")

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        P, q = utility_terms(pb, self.tolerance)
        if pb.box.long_only_within_budget:
            w = solve_on_simplex(pb, "utility", P, q if np.any(q) else None, warm)
            if w is not None:
                return Solution(w, verified=True)
        sol, _ = solve_verified(
            utility_qp(pb, self.tolerance), warm, ("utility", pb.l2, pb.box.key())
        )
        return Solution(sol.y, verified=True)

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        prog.quad(prog.w, ridge(pb.Ss, 2 * pb.l2 / pb.s))
        lam = self.tolerance
        prog.linear(prog.w, -lam * pb.mu / pb.s)
        if prog.cost is not None:
            prog.linear(prog.d, lam * prog.cost / pb.s)
