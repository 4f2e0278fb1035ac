"""A differentiable, batched portfolio optimiser on PyTorch (optional: the ``gradient`` or
``forecast`` extra).

Any differentiable objective of ``(weights (B, n), returns window)`` written in torch, or a
built-in one, minimised over the constraint set of :class:`~cryptofolio.optimize.Constraints`
(bounds, budget, market neutral, gross cap) by projected Adam, projected gradient descent or
mirror descent, for ``B`` problems at once on the CPU or a CUDA device. Every answer carries
its first-order residual; a problem that did not converge is flagged (batch) or refused
(single portfolio), never passed off as a solution. See docs/gradient.md.

::

    from cryptofolio.optimize.gradient import GradientSpec, MinVariance, ObjectiveData, solve_batch
    result = solve_batch(MinVariance(), ObjectiveData(covariance=covs), Constraints(max_weight=0.1),
                         spec=GradientSpec(lr=0.05, iterations=2000))
    result.weights, result.converged, result.residuals

The specification and result classes import without torch; everything else needs it and
raises :class:`~cryptofolio.errors.OptimizationError` naming the extra to install otherwise.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from cryptofolio.optimize.gradient.spec import BatchResult, GradientPortfolio, GradientSpec, Method

_LAZY = {
    "FeasibleSet": "cryptofolio.optimize.gradient.feasible",
    "feasible_set": "cryptofolio.optimize.gradient.feasible",
    "CustomObjective": "cryptofolio.optimize.gradient.objectives",
    "Drawdown": "cryptofolio.optimize.gradient.objectives",
    "MinVariance": "cryptofolio.optimize.gradient.objectives",
    "NegativeOmega": "cryptofolio.optimize.gradient.objectives",
    "NegativeSharpe": "cryptofolio.optimize.gradient.objectives",
    "NegativeSortino": "cryptofolio.optimize.gradient.objectives",
    "ObjectiveData": "cryptofolio.optimize.gradient.objectives",
    "SmoothedCVaR": "cryptofolio.optimize.gradient.objectives",
    "Utility": "cryptofolio.optimize.gradient.objectives",
    "project": "cryptofolio.optimize.gradient.projections",
    "kl_project_capped_simplex": "cryptofolio.optimize.gradient.projections",
    "first_order_residuals": "cryptofolio.optimize.gradient.verification",
    "exact_weights": "cryptofolio.optimize.gradient.verification",
    "optimize_gradient": "cryptofolio.optimize.gradient.solve",
    "solve_batch": "cryptofolio.optimize.gradient.solve",
    "solve_config": "cryptofolio.optimize.gradient.config",
    "portfolio_result": "cryptofolio.optimize.gradient.config",
}

__all__ = ["BatchResult", "GradientPortfolio", "GradientSpec", "Method", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
