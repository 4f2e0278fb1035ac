"""The optimiser's box-QP pieces under one name, for the tests of the engines."""

from __future__ import annotations

from cryptofolio.optimize.engines.box_qp import VERIFY_TOL
from cryptofolio.optimize.engines.box_qp import solve_verified as _solve_verified
from cryptofolio.optimize.objectives.efficient_return import efficient_return_qp
from cryptofolio.optimize.objectives.max_sharpe import max_sharpe_qp
from cryptofolio.optimize.objectives.max_utility import utility_qp
from cryptofolio.optimize.objectives.min_variance import minvar_qp
from cryptofolio.optimize.problem import make_problem
from cryptofolio.optimize.solve import optimize_portfolio


def solve_verified(qp, key=None, state=None):
    """A verified active-set solve without warm starts."""
    return _solve_verified(qp, None, None, state)


__all__ = [
    "VERIFY_TOL",
    "efficient_return_qp",
    "make_problem",
    "max_sharpe_qp",
    "minvar_qp",
    "optimize_portfolio",
    "solve_verified",
    "utility_qp",
]
