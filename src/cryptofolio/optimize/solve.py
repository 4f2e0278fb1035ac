"""One portfolio solve: validate the inputs, find the objective in the registry, verify the answer."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pandas as pd

from cryptofolio.blas import single_blas_thread
from cryptofolio.keywords import spec_of_keywords
from cryptofolio.optimize.inputs import labelled_inputs
from cryptofolio.optimize.objectives import ObjectiveSpec, objective_from_keywords
from cryptofolio.optimize.problem import (
    Problem,
    Trades,
    attach_scenarios,
    make_problem,
    trade_terms,
)
from cryptofolio.optimize.results import make_result
from cryptofolio.optimize.specs import Constraints, Objective, PortfolioResult, Scenarios
from cryptofolio.optimize.warm import WarmStarts

#: The keyword arguments of the original API, mapped to the spec that now carries them.
OBJECTIVE_KEYWORDS = (
    "risk_aversion",
    "risk_tolerance",
    "target_return",
    "target_volatility",
    "cvar_alpha",
)
TRADE_KEYWORDS = ("previous_weights", "transaction_cost", "max_turnover")
SCENARIO_KEYWORDS = ("returns", "periods_per_year")

#: Up to this many assets the solve stays below BLAS's threading thresholds (no limit needed).
SMALL_PROBLEM = 64


def _small_problem(pb: Problem, *args: object, **kwargs: object) -> bool:
    return pb.S.shape[0] <= SMALL_PROBLEM


def result_objective(spec: ObjectiveSpec) -> Objective | str:
    """The ``objective`` field of a result: the :class:`Objective` member where there is one."""
    try:
        return Objective(spec.name)
    except ValueError:
        return spec.name


def optimize_portfolio(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None = None,
    *,
    objective: ObjectiveSpec | Objective | str = Objective.MIN_VARIANCE,
    constraints: Constraints = Constraints(),
    risk_free_rate: float = 0.0,
    scenarios: Scenarios | None = None,
    trades: Trades | None = None,
    warm_starts: WarmStarts | None = None,
    **keywords: Any,
) -> PortfolioResult:
    """Solve one portfolio problem and verify the solution before returning it.

    Parameters
    ----------
    covariance
        Annualised covariance (assets x assets), symmetric PSD: a labelled DataFrame, or a
        numpy array (the assets are then labelled by position, ``asset0``, ... unless
        ``expected_returns`` is a Series; a :class:`PositionalLabelsNote` says so).
    expected_returns
        Annualised expected returns (fractions); required by every objective that uses them.
        A numpy array is read in the covariance's order.
    objective
        A spec carrying its parameters (``MaxUtility(risk_aversion=2)``,
        ``EfficientReturn(target_return=0.3)``, ...; see :mod:`cryptofolio.optimize.objectives`)
        or a registered name (``"max-sharpe"``, an :class:`Objective`).
    constraints
        Budget (net exposure), bounds, gross-exposure cap and L2 penalty.
    risk_free_rate
        Annual risk-free rate (fraction) for the Sharpe and Sortino ratios.
    scenarios
        Periodic scenario returns and their annualisation (:class:`Scenarios`) for the
        objectives that use scenarios (min-semivariance, max-sortino, min-cvar, hrp, ...).
    trades
        Turnover-aware optimisation (:class:`Trades`: current weights, costs, turnover cap).
    warm_starts
        A :class:`WarmStarts` the caller owns, to start from the active sets of its earlier
        solves (same answers, fewer pivots); ``None``: a cold start.
    **keywords
        The original keyword form, still accepted: ``risk_aversion`` (δ), ``risk_tolerance``
        (λ = 1/δ), ``target_return``,
        ``target_volatility``, ``cvar_alpha`` (for an objective given by name) and
        ``previous_weights``, ``transaction_cost``, ``max_turnover`` (instead of ``trades``),
        ``returns`` and ``periods_per_year`` (instead of ``scenarios``).

    Raises
    ------
    InfeasibleError
        Constraints in conflict, a target outside the attainable range, no asset above the
        risk-free rate for max-sharpe, or an invalid parameter (named).
    SolverError
        The solver failed or the solution did not verify.
    """
    spec, trades = _specs_of_keywords(objective, trades, keywords)
    scenario_kw = {k: keywords[k] for k in SCENARIO_KEYWORDS if k in keywords}
    scenarios = spec_of_keywords(Scenarios, scenarios, scenario_kw, where="optimize_portfolio")
    spec.validate()
    covariance, expected_returns = labelled_inputs(covariance, expected_returns)
    pb = make_problem(
        covariance,
        expected_returns,
        constraints,
        need_mu=spec.uses_expected_returns,
        risk_free_rate=risk_free_rate,
        periods_per_year=scenarios.periods_per_year,
    )
    return solve_problem(
        pb, spec, returns=scenarios.returns, trades=trades, warm_starts=warm_starts
    )


def _specs_of_keywords(
    objective: ObjectiveSpec | Objective | str, trades: Trades | None, keywords: dict[str, Any]
) -> tuple[ObjectiveSpec, Trades | None]:
    unknown = sorted(
        set(keywords) - set(OBJECTIVE_KEYWORDS) - set(TRADE_KEYWORDS) - set(SCENARIO_KEYWORDS)
    )
    if unknown:
        raise TypeError(f"optimize_portfolio() got unexpected keyword arguments: {unknown}")
    given = {k: keywords[k] for k in OBJECTIVE_KEYWORDS if k in keywords}
    if isinstance(objective, ObjectiveSpec) and any(v is not None for v in given.values()):
        raise TypeError(f"{objective.name}: pass {', '.join(given)} in the spec, not beside it")
    name = objective.value if isinstance(objective, Enum) else objective
    spec = objective_from_keywords(name, **given)
    trade_kw = {k: keywords[k] for k in TRADE_KEYWORDS if k in keywords}
    if trade_kw:
        if trades is not None:
            raise TypeError("pass trades= or the trade keywords, not both")
        trades = Trades(**trade_kw)
    return spec, trades


@single_blas_thread(unless=_small_problem)
def solve_problem(
    pb: Problem,
    spec: ObjectiveSpec,
    *,
    returns: pd.DataFrame | None = None,
    trades: Trades | None = None,
    warm_starts: WarmStarts | None = None,
) -> PortfolioResult:
    """:func:`optimize_portfolio` of a validated :class:`Problem` (the spec validated too):
    ``returns`` the scenarios of the objectives that use them, unless ``pb.scenarios`` already
    holds them (aligned, finite)."""
    if trades is not None:
        pb.trades = trade_terms(pb, trades)
    spec.check(pb)
    if spec.uses_scenarios and (returns is not None or pb.scenarios is None):
        attach_scenarios(pb, returns, spec.name)
    warm = warm_starts if warm_starts is not None else WarmStarts()
    sol = spec.solve(pb, warm)
    return make_result(
        pb,
        sol.weights,
        result_objective(spec),
        solver=sol.solver,
        objective_value=spec.measure(pb, sol.weights),
        verified=sol.verified,
        objective_units=spec.measure_units,
        risk_contributions=sol.risk_contributions,
    )
