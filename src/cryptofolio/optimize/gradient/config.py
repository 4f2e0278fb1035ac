"""The gradient engine on a :class:`~cryptofolio.optimize.PortfolioConfig`: what
``cryptofolio optimize --solver gradient`` calls (:func:`build_gradient_portfolio`), its answer
as a :class:`~cryptofolio.optimize.PortfolioResult` and its convergence report."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cryptofolio.errors import OptimizationError
from cryptofolio.optimize import (
    EstimationInputs,
    Objective,
    PortfolioConfig,
    PortfolioResult,
    estimate_moments,
)
from cryptofolio.optimize.gradient._torch import resolve_device
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


def build_gradient_portfolio(
    inputs: EstimationInputs,
    config: PortfolioConfig = PortfolioConfig(),
    spec: GradientSpec = GradientSpec(),
    *,
    expected_returns: pd.Series | None = None,
    progress: Progress | None = None,
) -> GradientPortfolio:
    """Estimate the moments of ``inputs`` (a window's periodic returns, see
    :func:`~cryptofolio.optimize.estimation_inputs`) with the estimators of ``config``, as
    :func:`~cryptofolio.optimize.build_portfolio` does, and solve ``config`` with the gradient
    engine; the answer is verified (first-order residuals, and the objective gap to the exact
    optimiser).

    ``expected_returns`` (annualised fractions) replaces the estimate (views, forecasts);
    ``progress(done, total)`` (iterations) is called at every convergence check.

    Raises
    ------
    SolverError
        The engine did not converge within ``spec.iterations`` (status ``"not-converged"``: the
        message gives the residual and what to change) or diverged (``"diverged"``: lower
        ``spec.lr``). A non-converged answer is never returned.
    OptimizationError
        The objective of ``config`` is not one the engine solves from a configuration, or
        PyTorch (the ``gradient`` extra) is not installed.
    InfeasibleError, DataError
        The constraints cannot all hold; inputs with NaN or assets that do not agree.
    """
    objective = config_objective(config)  # before estimating: a wrong objective fails fast
    cov, mu = estimate_moments(inputs, config)
    return optimize_gradient(
        cov,
        mu if expected_returns is None else expected_returns,
        objective=objective,
        constraints=config.constraints,
        spec=spec,
        progress=progress,
    )


def convergence_report(portfolio: GradientPortfolio, spec: GradientSpec) -> dict[str, Any]:
    """How the engine reached ``portfolio`` and how good it is, as JSON-ready values (the field
    names are the ``convergence`` record of ``cryptofolio optimize --solver gradient``).

    ``residual`` is the first-order residual the engine stops on (``<= tol`` when converged);
    ``first_order`` the KKT-style residuals of
    :func:`~cryptofolio.optimize.gradient.verification.first_order_residuals`; ``exact_gap``
    the objective of these weights minus the exact optimiser's (``None``: no exact counterpart).
    """
    gap = portfolio.exact_gap
    return {
        "solver": "gradient",
        "method": str(spec.method),
        "device": resolve_device(spec.device),
        "lr": float(spec.lr),
        "tol": float(spec.tol),
        "max_iterations": int(spec.iterations),
        "iterations": int(portfolio.iterations),
        "converged": bool(portfolio.converged),
        "residual": float(portfolio.residual),
        "objective_value": float(portfolio.objective_value),
        "first_order": {k: float(v) for k, v in portfolio.first_order.items()},
        "exact_gap": None if gap is None or not math.isfinite(gap) else float(gap),
    }
