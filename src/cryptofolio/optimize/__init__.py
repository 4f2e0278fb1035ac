"""The optimize stage: objectives and constraints, the frontier, random portfolios.

Units: ``covariance`` and ``expected_returns`` are annualised fractions; ``returns`` (the
scenario matrix of min-semivariance, max-sortino and min-cvar) are periodic. Objectives are
small frozen specs found by name in one registry (:mod:`cryptofolio.optimize.objectives`); the
solver engines (active set, simplex, conic, HiGHS LP) are private underneath
(:mod:`cryptofolio.optimize.engines`). See docs/optimization.md and docs/architecture.md.
"""

from __future__ import annotations

import warnings

from cryptofolio.optimize.estimation import (
    EstimationInputs,
    cluster_tree,
    estimate_moments,
    estimation_inputs,
)
from cryptofolio.optimize.frontier import Frontier, efficient_frontier
from cryptofolio.optimize.frontier_run import FrontierRun, compute_frontier
from cryptofolio.optimize.inputs import PositionalLabelsNote
from cryptofolio.optimize.objectives import (
    AllocatorSettings,
    Distance,
    EfficientReturn,
    EfficientRisk,
    HierarchicalEqualRiskContribution,
    HierarchicalRiskParity,
    Linkage,
    MaxSharpe,
    MaxSortino,
    MaxUtility,
    MinCVaR,
    MinSemivariance,
    MinVariance,
    ObjectiveSpec,
    RiskBudgeting,
    RiskMeasure,
    make_objective,
    objective_class,
    objective_names,
    parse_risk_budgets,
    register_objective,
)
from cryptofolio.optimize.portfolio import PortfolioConfig, build_portfolio
from cryptofolio.optimize.problem import Trades
from cryptofolio.optimize.random_portfolios import best_random_portfolio, random_portfolios
from cryptofolio.optimize.solve import optimize_portfolio
from cryptofolio.optimize.specs import Constraints, Objective, PortfolioResult, Scenarios
from cryptofolio.optimize.warm import WarmStarts


def clear_warm_starts() -> None:
    """Deprecated: warm starts are no longer kept by the module; nothing to clear.

    Pass a :class:`WarmStarts` you own to ``optimize_portfolio(..., warm_starts=...)``
    instead (and call its ``clear()``)."""
    warnings.warn(
        "clear_warm_starts() is deprecated and does nothing: the optimiser keeps no warm "
        "starts of its own; pass a WarmStarts object (warm_starts=...) and call its clear()",
        DeprecationWarning,
        stacklevel=2,
    )


__all__ = [
    "AllocatorSettings",
    "Constraints",
    "Distance",
    "EfficientReturn",
    "EfficientRisk",
    "EstimationInputs",
    "Frontier",
    "FrontierRun",
    "HierarchicalEqualRiskContribution",
    "HierarchicalRiskParity",
    "Linkage",
    "MaxSharpe",
    "MaxSortino",
    "MaxUtility",
    "MinCVaR",
    "MinSemivariance",
    "MinVariance",
    "Objective",
    "ObjectiveSpec",
    "PortfolioConfig",
    "PortfolioResult",
    "PositionalLabelsNote",
    "RiskBudgeting",
    "RiskMeasure",
    "Scenarios",
    "Trades",
    "WarmStarts",
    "best_random_portfolio",
    "build_portfolio",
    "clear_warm_starts",
    "cluster_tree",
    "compute_frontier",
    "efficient_frontier",
    "estimate_moments",
    "estimation_inputs",
    "make_objective",
    "objective_class",
    "objective_names",
    "optimize_portfolio",
    "parse_risk_budgets",
    "random_portfolios",
    "register_objective",
]
