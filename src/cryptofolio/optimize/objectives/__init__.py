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
# isort: on

__all__ = [
    "EfficientReturn",
    "EfficientRisk",
    "MaxSharpe",
    "MaxSortino",
    "MaxUtility",
    "MinCVaR",
    "MinSemivariance",
    "MinVariance",
    "ObjectiveSpec",
    "Solution",
    "make_objective",
    "objective_class",
    "objective_from_keywords",
    "objective_names",
    "register_objective",
]
