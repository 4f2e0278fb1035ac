"""Maximum Sharpe ratio ``(μ'w - rf) / sqrt(w'Σw)`` (annualised), homogenised (Cornuejols-Tutuncu)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize.constraints import extreme_return
from cryptofolio.optimize.engines.active_set import cold_state
from cryptofolio.optimize.engines.box_qp import ridge, solve_verified
from cryptofolio.optimize.engines.conic_program import ConicProgram
from cryptofolio.optimize.engines.reduced import BoxQP
from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


def check_sharpe_possible(pb: Problem, name: str = "max-sharpe") -> None:
    """Raise ``InfeasibleError`` unless some portfolio's expected return beats the risk-free rate."""
    r_max, _ = extreme_return(pb.box, pb.mu, maximise=True)
    if r_max <= pb.rf:
        best = pb.assets[int(np.argmax(pb.mu))]
        raise InfeasibleError(
            f"{name} needs a portfolio with expected return above the risk-free rate "
            f"{pb.rf:g}, but the highest attainable is {r_max:g} (best asset {best}: "
            f"{float(np.max(pb.mu)):g}); lower the risk-free rate or use min-variance"
        )


def max_sharpe_qp(pb: Problem) -> BoxQP:
    """``min y'Σy`` s.t. ``μ'y - rf k = 1``, ``1'y = budget k``, ``lo k <= y <= hi k``."""
    n, ms = pb.n, pb.ms
    A = np.vstack([pb.mu / ms, np.ones(n)])
    return BoxQP(
        P=ridge(pb.Ss, pb.l2 / pb.s),
        q=np.zeros(n),
        A=A,
        a=np.array([-pb.rf / ms, -pb.box.budget]),
        c=np.array([1.0, 0.0]),
        lo=pb.box.lo,
        hi=pb.box.hi,
        homogeneous=True,
    )


def add_excess_return_row(prog: ConicProgram) -> None:
    """The homogenising row of a ratio objective: ``μ'y - rf k - cost'd = 1`` (scaled by ``1/ms``)."""
    pb = prog.pb
    ms = pb.ms
    terms = [(prog.w, pb.mu[None, :] / ms), (prog.k, [[-pb.rf / ms]])]
    if prog.cost is not None:
        terms.append((prog.d, -prog.cost[None, :] / ms))
    prog.cb.eq(terms, [1.0])


@register_objective
@dataclass(frozen=True)
class MaxSharpe(ObjectiveSpec):
    """The tangency portfolio (no parameters; the risk-free rate is the problem's)."""

    name = "max-sharpe"
    homogeneous = True
    measure_units = "Sharpe ratio (μ'w - rf) / sqrt(w'Σw) (annualised, unitless)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        vol = float(np.sqrt(max(float(w @ pb.S @ w), 0.0)))
        return (float(pb.mu @ w) - pb.rf) / vol if vol > 0 else float("nan")

    def check(self, pb: Problem) -> None:
        check_sharpe_possible(pb, self.name)

    def solve_exact(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        qp = max_sharpe_qp(pb)
        key = ("sharpe", pb.l2, pb.rf, pb.box.key())
        state = warm.get(key, qp.n) if warm is not None else None
        if state is None:
            # a cold start from the assets with the best Sharpe ratio alone
            sd = np.sqrt(np.maximum(pb.S.diagonal(), 1e-300))
            state = cold_state(qp, score=(pb.rf - pb.mu) / sd)
        sol, _ = solve_verified(qp, warm, key, state)
        if not sol.k > 0:
            raise SolverError(
                "max-sharpe: the homogenised problem has no positive scale (the Sharpe ratio "
                "is unbounded or not attained); add bounds or a gross-exposure cap",
                status="unbounded",
            )
        return Solution(sol.y / sol.k)

    def add_terms(self, prog: ConicProgram) -> None:
        pb = prog.pb
        prog.quad(prog.w, ridge(pb.Ss, pb.l2 / pb.s))
        add_excess_return_row(prog)
