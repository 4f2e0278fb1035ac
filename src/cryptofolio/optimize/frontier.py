"""Efficient frontier: an exact parametric walk along the minimum-variance path.

For box + budget constraints the efficient portfolio is piecewise affine in the target return:
between two "turning points" the active set is constant and the weights move on a line. The
walk solves the efficient-return QP once per segment (warm-started active set), derives the
segment's direction and validity interval from the same reduced KKT system, and evaluates every
requested frontier point that falls on it exactly, without another solve. This is the critical
line idea, visiting only the segments that carry requested points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.blas import single_blas_thread
from cryptofolio.errors import InfeasibleError, SolverError
from cryptofolio.optimize.engines.box_qp import solve_verified
from cryptofolio.optimize.objectives.efficient_return import (
    EfficientReturn,
    efficient_return_qp,
    frontier_path_segment,
    max_return_portfolio,
    path_step,
)
from cryptofolio.optimize.objectives.min_variance import min_variance_weights
from cryptofolio.optimize.problem import Problem, make_problem
from cryptofolio.optimize.results import check_weights
from cryptofolio.optimize.solve import optimize_portfolio
from cryptofolio.optimize.specs import Constraints
from cryptofolio.optimize.warm import WarmStarts


@dataclass(frozen=True)
class Frontier:
    """Efficient frontier: ``points`` has columns return, volatility, sharpe (annualised
    fractions), one row per point; ``weights`` has one row per point, one column per asset."""

    points: pd.DataFrame
    weights: pd.DataFrame


@single_blas_thread
def efficient_frontier(
    covariance: pd.DataFrame,
    expected_returns: pd.Series,
    *,
    points: int = 50,
    constraints: Constraints = Constraints(),
    risk_free_rate: float = 0.0,
) -> Frontier:
    """``points`` portfolios from the minimum-variance to the maximum-return portfolio, equally
    spaced in expected return (annualised fractions).

    Raises
    ------
    InfeasibleError
        ``points`` < 2 or constraints in conflict.
    """
    if int(points) != points or points < 2:
        raise InfeasibleError(f"points must be an integer >= 2, got {points}")
    points = int(points)
    pb = make_problem(
        covariance, expected_returns, constraints, need_mu=True, risk_free_rate=risk_free_rate
    )
    warm = WarmStarts()
    w_mv = min_variance_weights(pb, warm)
    r_mv = float(pb.mu @ w_mv)
    r_max, w_max = max_return_portfolio(pb)
    grid = np.linspace(r_mv, r_max, points)
    W = np.empty((points, pb.n))
    W[0] = w_mv
    W[-1] = w_max
    if r_max - r_mv <= 1e-12 * max(1.0, abs(r_max)):
        W[:] = w_mv
    else:
        try:
            _walk_path(pb, grid, W)
        except SolverError:  # the walk's pivoting failed: solve each point on its own
            for j in range(1, points - 1):
                W[j] = optimize_portfolio(
                    covariance,
                    expected_returns,
                    objective=EfficientReturn(target_return=float(grid[j])),
                    constraints=constraints,
                    risk_free_rate=risk_free_rate,
                ).weights.to_numpy()
    box = pb.box
    for j in range(points):
        if box.gross is not None and np.abs(W[j]).sum() > box.gross + 1e-9:
            # the gross cap binds: this point on the conic path
            target = float(grid[j]) if j < points - 1 else float(grid[j]) - 1e-9
            res = optimize_portfolio(
                covariance,
                expected_returns,
                objective=EfficientReturn(target_return=target),
                constraints=constraints,
                risk_free_rate=risk_free_rate,
            )
            W[j] = res.weights.to_numpy()
    try:
        check_weights(pb, W)
    except SolverError as exc:
        raise SolverError(f"frontier: {exc}", status=exc.status) from exc
    ret = W @ pb.mu
    vol = np.sqrt(np.maximum(np.einsum("ij,ij->i", W @ pb.S, W), 0.0))
    rows = np.column_stack([ret, vol, _sharpe(ret, vol, pb.rf)])
    pts = pd.DataFrame(rows, columns=["return", "volatility", "sharpe"])
    return Frontier(points=pts, weights=pd.DataFrame(W, columns=pb.index))


def _walk_path(pb: Problem, grid: np.ndarray, W: np.ndarray) -> None:
    """Fill the inner rows of ``W`` with the efficient-return weights at the returns ``grid``,
    one solve per segment of the path (the points on a segment are affine in the return)."""
    points = grid.size
    qp = efficient_return_qp(pb, grid[1])
    state = None
    pivot = None
    j = 1
    while j < points - 1:
        r = grid[j]
        qp.c[1] = r / pb.ms
        # follow the path: the pivot that ended the last segment usually starts the next
        step = None if pivot is None else path_step(pb, qp, state, pivot, r)
        if step is None:
            sol, state = solve_verified(qp, None, None, state)
            sol, seg = frontier_path_segment(pb, qp, state, r)
        else:
            sol, seg, state = step
        pivot = seg.exit_pivot
        W[j] = sol.y
        j += 1
        while j < points - 1 and grid[j] <= seg.hi:
            W[j] = sol.y + (grid[j] - r) * sol.dy
            j += 1


def _sharpe(ret: np.ndarray, vol: np.ndarray, rf: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vol > 0, (ret - rf) / vol, math.nan)
