"""The gradient engine on a :class:`~cryptofolio.optimize.PortfolioConfig`: what
``cryptofolio optimize --solver gradient`` calls, and its answer as a
:class:`~cryptofolio.optimize.PortfolioResult`."""

from __future__ import annotations

import pandas as pd

from cryptofolio.errors import OptimizationError
from cryptofolio.optimize import Objective, PortfolioConfig, PortfolioResult
from cryptofolio.optimize.gradient.descent import Progress
from cryptofolio.optimize.gradient.objectives import MinVariance, NegativeSharpe, Utility
from cryptofolio.optimize.gradient.solve import LossFunction, optimize_gradient
from cryptofolio.optimize.gradient.spec import GradientPortfolio, GradientSpec

#: the exact optimiser's objectives the engine solves from a PortfolioConfig
CONFIG_OBJECTIVES = (Objective.MIN_VARIANCE, Objective.MAX_SHARPE, Objective.MAX_UTILITY)


def config_objective(config: PortfolioConfig) -> LossFunction:
    """The gradient objective of ``config.objective``.

    Raises
    ------
    OptimizationError
        For objectives the engine does not solve from a configuration.
    """
    if config.objective == Objective.MIN_VARIANCE:
        return MinVariance()
    if config.objective == Objective.MAX_SHARPE:
        return NegativeSharpe(risk_free_rate=float(config.risk_free_rate))
    if config.objective == Objective.MAX_UTILITY:
        # the gradient Utility's ``risk_aversion`` is λ of 1/2 w'Sw - λ mu'w (= 1/δ)
        return Utility(risk_aversion=float(config.objective_spec().tolerance))
    raise OptimizationError(
        f"the gradient solver takes the objectives {', '.join(map(str, CONFIG_OBJECTIVES))} "
        f"from the command line, not {config.objective}; use --solver exact, or write the "
        "objective as a torch function for cryptofolio.optimize.gradient.optimize_gradient"
    )


def solve_config(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None,
    config: PortfolioConfig,
    spec: GradientSpec = GradientSpec(),
    *,
    progress: Progress | None = None,
    allow_unconverged: bool = False,
) -> GradientPortfolio:
    """:func:`optimize_gradient` of the objective and constraints of ``config``."""
    return optimize_gradient(
        covariance,
        expected_returns,
        objective=config_objective(config),
        constraints=config.constraints,
        spec=spec,
        allow_unconverged=allow_unconverged,
        progress=progress,
    )


def portfolio_result(portfolio: GradientPortfolio, objective: Objective) -> PortfolioResult:
    """``portfolio`` as the exact optimiser's :class:`PortfolioResult` (``solver="gradient"``,
    ``status`` ``"converged"`` or ``"not-converged"``)."""
    return PortfolioResult(
        weights=portfolio.weights,
        expected_return=portfolio.expected_return,
        volatility=portfolio.volatility,
        sharpe=portfolio.sharpe,
        objective=objective,
        risk_free_rate=portfolio.risk_free_rate,
        status="converged" if portfolio.converged else "not-converged",
        objective_value=portfolio.objective_value,
        solver="gradient",
        objective_units="the gradient optimiser's loss (the objective's units, L2 term included)",
    )
