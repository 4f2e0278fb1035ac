"""From solver weights to a :class:`PortfolioResult`: the constraint check and the figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cryptofolio.errors import SolverError
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.specs import Objective, PortfolioResult


def check_weights(pb: Problem, W: np.ndarray) -> None:
    """Every row of ``W`` (portfolios x assets) within the bounds, budget and gross cap (1e-8).

    Raises
    ------
    SolverError
        Names the row and the violation; the weights are not returned.
    """
    box = pb.box
    viol = np.maximum(box.lo - W, W - box.hi).max(axis=1, initial=0.0)
    viol = np.maximum(viol, np.abs(W.sum(axis=1) - box.budget))
    if box.gross is not None:
        viol = np.maximum(viol, np.abs(W).sum(axis=1) - box.gross)
    tol = 1e-8 * np.maximum(1.0, np.abs(W).max(axis=1, initial=0.0))
    bad = ~np.isfinite(W).all(axis=1) | (viol > tol)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        where = f" (portfolio {j})" if W.shape[0] > 1 else ""
        raise SolverError(
            f"the solution{where} violates the constraints by {viol[j]:.1e}; not returned",
            status="infeasible",
        )


def make_result(
    pb: Problem,
    w: np.ndarray,
    objective: Objective | str,
    *,
    solver: str = "active-set",
    objective_value: float = math.nan,
    verified: bool = False,
    objective_units: str = "",
    risk_contributions: np.ndarray | None = None,
) -> PortfolioResult:
    """The result of the weights ``w`` (annualised figures), checked against the bounds, the
    budget and the gross cap (:func:`check_weights`) unless ``verified``: weights a KKT check
    already held to the bounds and the budget, with the gross cap checked by the caller."""
    if not verified:
        check_weights(pb, w[None, :])
    var = float(w @ pb.S @ w)
    vol = math.sqrt(max(var, 0.0))
    ret = float(pb.mu @ w) if pb.mu is not None else math.nan
    sharpe = (ret - pb.rf) / vol if vol > 0 and pb.mu is not None else math.nan
    return PortfolioResult(
        weights=pd.Series(w, index=pb.index, name="weight", copy=False),
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        objective=objective,
        risk_free_rate=pb.rf,
        status="optimal",
        objective_value=objective_value,
        solver=solver,
        objective_units=objective_units,
        risk_contributions=None
        if risk_contributions is None
        else pd.Series(risk_contributions, index=pb.index, name="risk_contribution"),
    )
