"""The objectives, one module each, found by name through one registry.

Adding an objective is one new module here (a frozen :class:`ObjectiveSpec` subclass decorated
with :func:`register_objective`) and its import line below; see docs/architecture.md.
"""

from cryptofolio.optimize.objectives.base import ObjectiveSpec, Solution
from cryptofolio.optimize.objectives.registry import (
    make_objective,
    objective_class,
    objective_from_keywords,
    objective_names,
    register_objective,
)

# The registered objectives (importing a module registers its specs), in the order listed.
# isort: off
from cryptofolio.optimize.objectives.min_variance import MinVariance
from cryptofolio.optimize.objectives.max_sharpe import MaxSharpe
from cryptofolio.optimize.objectives.max_utility import MaxUtility
from cryptofolio.optimize.objectives.efficient_return import EfficientReturn
from cryptofolio.optimize.objectives.efficient_risk import EfficientRisk
from cryptofolio.optimize.objectives.semivariance import MaxSortino, MinSemivariance
from cryptofolio.optimize.objectives.min_cvar import MinCVaR
from cryptofolio.optimize.objectives.hierarchical import (
    HierarchicalEqualRiskContribution,
    HierarchicalRiskParity,
)
from cryptofolio.optimize.objectives.risk_budgeting import RiskBudgeting

# isort: on
from cryptofolio.optimize.objectives.allocator_settings import (
    AllocatorSettings,
    parse_risk_budgets,
)
from cryptofolio.optimize.objectives.clustering import Distance, Linkage
from cryptofolio.optimize.objectives.hierarchical import RiskMeasure

__all__ = [
    "AllocatorSettings",
    "Distance",
    "EfficientReturn",
    "EfficientRisk",
    "HierarchicalEqualRiskContribution",
    "HierarchicalRiskParity",
    "Linkage",
    "MaxSharpe",
    "MaxSortino",
    "MaxUtility",
    "MinCVaR",
    "MinSemivariance",
    "MinVariance",
    "ObjectiveSpec",
    "RiskBudgeting",
    "RiskMeasure",
    "Solution",
    "make_objective",
    "objective_class",
    "objective_from_keywords",
    "objective_names",
    "parse_risk_budgets",
    "register_objective",
]
