"""How good a gradient answer is: first-order (KKT-style) residuals on the constraint set, and
the objective gap to the exact optimiser where it solves the same problem.

Residuals (per problem, on the scaled gradient ``g``, i.e. the gradient over its largest entry
at the start; weights in fractions of equity):

* ``budget``: ``|sum(w) - budget|``; ``bounds``: the largest bound violation; ``gross``:
  ``max(sum(|w|) - gross, 0)`` (0 without a cap) -- primal feasibility;
* ``projected_gradient``: ``max |w - P(w - g)|``, zero exactly at a first-order point (the
  engine's convergence measure);
* without a gross cap, the KKT conditions with the budget multiplier ``nu`` estimated from the
  free assets (strictly inside their bounds): ``stationarity`` ``max |g_i + nu|`` over the free
  assets, ``multiplier_sign`` the largest wrong-signed bound multiplier (``g_i + nu < 0`` at a
  lower bound, ``> 0`` at an upper bound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio
from cryptofolio.optimize.gradient._torch import import_torch
from cryptofolio.optimize.gradient.descent import TensorSet
from cryptofolio.optimize.gradient.objectives import (
    MinVariance,
    NegativeSharpe,
    ObjectiveData,
    Utility,
    WithL2,
)

torch = import_torch()
Tensor = torch.Tensor

#: how close to a bound a weight counts as at the bound (relative to max(1, |bound|))
AT_BOUND = 1e-9


def first_order_residuals(weights: Tensor, gradient: Tensor, feasible: TensorSet) -> dict:
    """The residuals of the module docstring, each a ``(B,)`` numpy array."""
    w, g = weights, gradient
    lo, hi = feasible.lo.expand_as(w), feasible.hi.expand_as(w)
    zero = torch.zeros_like(w[:, 0])
    out = {
        "budget": (w.sum(-1) - feasible.budget).abs(),
        "bounds": torch.maximum(torch.maximum(lo - w, w - hi).amax(-1), zero),
        "gross": zero
        if feasible.gross is None
        else torch.clamp(w.abs().sum(-1) - feasible.gross, min=0.0),
        "projected_gradient": feasible.residual(w, g),
    }
    if feasible.gross is None:
        out.update(_multiplier_residuals(w, g, lo, hi))
    return {k: v.detach().cpu().numpy() for k, v in out.items()}


def _multiplier_residuals(w: Tensor, g: Tensor, lo: Tensor, hi: Tensor) -> dict:
    at_lo = w <= lo + AT_BOUND * torch.clamp(lo.abs(), min=1.0)
    at_hi = w >= hi - AT_BOUND * torch.clamp(hi.abs(), min=1.0)
    free = ~(at_lo | at_hi)
    count = free.sum(-1)
    inf = torch.full_like(g, torch.inf)
    mean_free = -(torch.where(free, g, 0.0).sum(-1) / torch.clamp(count, min=1))
    # no free asset: the middle of the multipliers the bound assets allow
    low = -torch.where(at_lo & ~at_hi, g, inf).amin(-1)
    high = -torch.where(at_hi & ~at_lo, g, -inf).amax(-1)
    middle = torch.where(
        torch.isfinite(low) & torch.isfinite(high),
        0.5 * (low + high),
        torch.where(torch.isfinite(low), low, torch.where(torch.isfinite(high), high, 0.0)),
    )
    nu = torch.where(count > 0, mean_free, middle)[:, None]
    reduced = g + nu
    zero = torch.zeros_like(g)
    return {
        "stationarity": torch.where(free, reduced.abs(), zero).amax(-1),
        "multiplier_sign": torch.maximum(
            torch.where(at_lo & ~at_hi, -reduced, zero), torch.where(at_hi & ~at_lo, reduced, zero)
        )
        .clamp(min=0.0)
        .amax(-1),
    }


def exact_objective(objective) -> Objective | None:
    """The exact optimiser's objective that minimises the same function as ``objective``
    (``None`` when it has none: the engine then reports first-order residuals only)."""
    base, gamma = (
        (objective.objective, objective.gamma)
        if isinstance(objective, WithL2)
        else (
            objective,
            0.0,
        )
    )
    if isinstance(base, MinVariance):
        return Objective.MIN_VARIANCE
    if isinstance(base, Utility) and np.ndim(base.risk_aversion) == 0:
        return Objective.MAX_UTILITY
    if isinstance(base, NegativeSharpe) and gamma == 0:
        return Objective.MAX_SHARPE  # (the exact L2 form of max-Sharpe is another function)
    return None


def exact_weights(
    objective,
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None,
    constraints: Constraints,
) -> pd.Series | None:
    """The exact optimiser's weights for ``objective`` (``None`` where it has no counterpart)."""
    kind = exact_objective(objective)
    if kind is None:
        return None
    base = objective.objective if isinstance(objective, WithL2) else objective
    result = optimize_portfolio(
        covariance,
        expected_returns,
        objective=kind,
        constraints=constraints,
        risk_free_rate=getattr(base, "risk_free_rate", 0.0),
        risk_tolerance=float(getattr(base, "risk_aversion", 1.0)),  # the gradient's λ
    )
    return result.weights


def objective_gap(objective, weights: Tensor, reference: Tensor, data: ObjectiveData) -> np.ndarray:
    """``objective(weights) - objective(reference)`` per row (``(B,)``; positive: ``weights``
    is worse than the reference)."""
    with torch.no_grad():
        gap = objective(weights, data) - objective(reference, data)
    return gap.detach().cpu().numpy()
