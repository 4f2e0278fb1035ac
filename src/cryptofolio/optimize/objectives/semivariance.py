"""Downside risk from the scenarios: minimum semivariance and maximum Sortino ratio.

The semivariance of ``w`` is ``periods_per_year / T * sum_t min(r_t'w - B, 0)²`` (annualised;
``r_t`` the periodic scenario returns, ``B`` the periodic benchmark, 0 by default), written
with shortfall variables ``n_t >= B - r_t'w``, ``n_t >= 0``. Max Sortino maximises
``(μ'w - rf) / semideviation``, homogenised like max Sharpe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.measures import semivariance
from cryptofolio.optimize.objectives.base import ObjectiveSpec
from cryptofolio.optimize.objectives.max_sharpe import add_excess_return_row, check_sharpe_possible
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem


def add_semivariance(prog: ConicProgram, benchmark: float) -> None:
    """The shortfall rows and the semivariance term (scaled by ``1/s``) of ``prog``."""
    pb, cb = prog.pb, prog.cb
    R = pb.scenarios
    T = R.shape[0]
    shortfall = cb.var(T)
    IT = sp.identity(T, format="csr")
    homog = prog.k is not None
    # n_t >= B k - r_t'w  (shortfall below the per-period benchmark B)
    bterm = [(prog.k, np.full((T, 1), benchmark))] if homog else []
    rhs = np.zeros(T) if homog else np.full(T, -benchmark)
    cb.le([(prog.w, -R), (shortfall, -IT), *bterm], rhs)
    cb.le([(shortfall, -IT)], np.zeros(T))
    prog.quad(shortfall, sp.identity(T, format="csr") * (2 * pb.periods_per_year / (T * pb.s)))
    if pb.l2:
        prog.quad(prog.w, (2 * pb.l2 / pb.s) * np.eye(pb.n))


@dataclass(frozen=True)
class _Downside(ObjectiveSpec):
    """The objectives of the shortfall below ``benchmark`` (a periodic return, fraction)."""

    benchmark: float = 0.0
    uses_scenarios = True

    def validate(self) -> None:
        if not math.isfinite(self.benchmark):
            raise InfeasibleError(
                f"the semivariance benchmark must be finite, got {self.benchmark}"
            )


@register_objective
@dataclass(frozen=True)
class MinSemivariance(_Downside):
    """Least semivariance below ``benchmark`` (a periodic return, fraction; 0 by default)."""

    name = "min-semivariance"
    uses_expected_returns = False
    measure_units = "semivariance below the benchmark (annualised, fraction²)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        return semivariance(w, pb.scenarios, pb.periods_per_year, self.benchmark)

    def add_terms(self, prog: ConicProgram) -> None:
        add_semivariance(prog, self.benchmark)
        if prog.cost is not None:
            prog.linear(prog.d, prog.cost / prog.pb.s)


@register_objective
@dataclass(frozen=True)
class MaxSortino(_Downside):
    """Highest ``(μ'w - rf) / semideviation`` (annualised; shortfall below ``benchmark``)."""

    name = "max-sortino"
    homogeneous = True
    measure_units = "Sortino ratio (μ'w - rf) / semideviation (annualised, unitless)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        down = float(np.sqrt(semivariance(w, pb.scenarios, pb.periods_per_year, self.benchmark)))
        return (float(pb.mu @ w) - pb.rf) / down if down > 0 else float("nan")

    def check(self, pb: Problem) -> None:
        check_sharpe_possible(pb, self.name)

    def add_terms(self, prog: ConicProgram) -> None:
        add_semivariance(prog, self.benchmark)
        add_excess_return_row(prog)
