"""How each library solves each task, called the way its documentation recommends.

``prepare(library, task, inputs)`` returns a zero-argument callable that runs the whole task once
(problem construction + solve, and estimation where the task includes it) and returns the
weights as a NumPy array in ``inputs`` column order: shape (N,) for single portfolios,
(points, N) for T3 and (rebalances, N) for T7. It raises :class:`Unsupported` with a note when
the library has no such feature. Building the shared DataFrames (μ, Σ) is not timed: every
library receives the same annualised inputs, except where a library's recommended API estimates
from returns itself (skfolio's ``fit(X)``; Riskfolio's ``assets_stats`` in T4/T7), noted in
``NOTES``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from benchmarks import tasks as t
from benchmarks.tasks import BenchInputs, Task

CRYPTOFOLIO = "cryptofolio"
PYPFOPT = "PyPortfolioOpt"
RISKFOLIO = "Riskfolio-Lib"
SKFOLIO = "skfolio"
CVXPORTFOLIO = "cvxportfolio"
FLOOR = "numpy floor"
# cryptofolio re-solving the identical problem with one WarmStarts kept across calls (not a
# peer; the headline "cryptofolio" row solves cold on every call).
CRYPTOFOLIO_WARM = "cryptofolio (warm repeat)"

LIBRARIES = [CRYPTOFOLIO, PYPFOPT, RISKFOLIO, SKFOLIO, CVXPORTFOLIO, CRYPTOFOLIO_WARM]
PEERS = [PYPFOPT, RISKFOLIO, SKFOLIO, CVXPORTFOLIO]

NOTES = {
    SKFOLIO: "skfolio's recommended API is MeanRisk(...).fit(daily returns): its timings include "
    "estimating μ and Σ from the returns (EmpiricalPrior), the others get them precomputed.",
    RISKFOLIO: "Riskfolio-Lib gets the shared μ and Σ by setting port.mu / port.cov (what "
    "assets_stats does); T4 and T7 call assets_stats to estimate.",
    CVXPORTFOLIO: "cvxportfolio is benchmarked on T1 only (SinglePeriodOptimization.execute "
    "without market data); it has no max-Sharpe, frontier, L2 or walk-forward with an identical "
    "daily-estimated weekly rebalance.",
}

Runner = Callable[[], np.ndarray]


class Unsupported(Exception):
    """The library has no such feature; the message says why."""


def _vector(weights: object, columns: pd.Index) -> np.ndarray:
    """Weights from a dict / Series / array in ``columns`` order."""
    if isinstance(weights, dict):
        return np.array([weights[c] for c in columns], dtype=float)
    if isinstance(weights, pd.DataFrame):
        if weights.index.equals(columns):  # already in order: no reindexing copy
            return weights.to_numpy(dtype=float).ravel()
        return weights.reindex(columns).to_numpy(dtype=float).ravel()
    if isinstance(weights, pd.Series):
        if weights.index.equals(columns):
            return weights.to_numpy(dtype=float)
        return weights.reindex(columns).to_numpy(dtype=float)
    return np.asarray(weights, dtype=float).ravel()


def _sample_cov(window: np.ndarray) -> np.ndarray:
    return np.cov(window, rowvar=False, ddof=1) * t.PERIODS_PER_YEAR


# ----------------------------------------------------------------------------- cryptofolio


def _cryptofolio_walk_forward(inputs: BenchInputs) -> Runner:
    """T7 through cryptofolio's backtester: ``run_backtest`` with the min-variance
    ``OptimizerStrategy``, a rolling window and a rebalance every 7 rows, default costs.

    Alignment with the peers' loop: the backtester decides at price row j from the rows strictly
    before j and trades at row j's close. A window of 366 price rows ending at row j - 1 holds
    exactly the 365 returns [i - 365, i) of the peers' rebalance i = j - 1, so the weights are
    comparable one for one (the holding period starts one row later).
    """
    from cryptofolio.backtest import BacktestConfig, OptimizerStrategy, run_backtest
    from cryptofolio.data import Panels
    from cryptofolio.optimize import PortfolioConfig

    prices = inputs.prices
    empty = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    volume = pd.DataFrame(1e9, index=prices.index, columns=prices.columns)
    panels = Panels(
        close=prices, volume=volume, market_cap=empty, open=prices, high=prices, low=prices
    )
    config = BacktestConfig(
        rebalance=f"{t.REBALANCE_EVERY}p",
        lookback=t.LOOKBACK_DAYS + 1,
        start=prices.index[t.LOOKBACK_DAYS + 1],
    )
    strategy = OptimizerStrategy(PortfolioConfig())
    cols = inputs.returns.columns

    def run() -> np.ndarray:
        result = run_backtest(panels, strategy, config)
        targets = next(iter(result.strategies.values())).targets
        return targets.reindex(columns=cols).fillna(0.0).to_numpy()

    return run


def _cryptofolio(task: Task, inputs: BenchInputs) -> Runner:
    """cryptofolio as a user calls it: every call a cold solve, like a peer's."""
    return _cryptofolio_runner(task, inputs, None)


def _cryptofolio_runner(task: Task, inputs: BenchInputs, warm) -> Runner:
    """The task's call; ``warm``: a WarmStarts kept across calls (T1, T2, T8), or None."""
    from cryptofolio.optimize import (
        Constraints,
        Objective,
        efficient_frontier,
        optimize_portfolio,
    )

    mu, cov, cols = inputs.mu, inputs.cov, inputs.returns.columns
    if task is Task.T1:
        return lambda: _vector(optimize_portfolio(cov, mu, warm_starts=warm).weights, cols)
    if task is Task.T2:
        cons = Constraints(max_weight=t.MAX_WEIGHT_T2)

        def t2() -> np.ndarray:
            res = optimize_portfolio(
                cov, mu, objective=Objective.MAX_SHARPE, constraints=cons, warm_starts=warm
            )
            return _vector(res.weights, cols)

        return t2
    if task is Task.T3:
        return lambda: (
            efficient_frontier(cov, mu, points=t.FRONTIER_POINTS)
            .weights.reindex(columns=cols)
            .to_numpy()
        )
    if task is Task.T4:
        from cryptofolio.estimate import RiskModel, risk_matrix

        def t4() -> np.ndarray:
            shrunk = risk_matrix(inputs.returns, RiskModel.LEDOIT_WOLF, periods_per_year=365.0)
            return _vector(optimize_portfolio(shrunk, None).weights, cols)

        return t4
    if task is Task.T5:
        from cryptofolio.estimate import sample_covariance
        from cryptofolio.optimize import HierarchicalRiskParity

        spec = HierarchicalRiskParity(linkage="single")  # Pearson, variance, no leaf ordering

        def t5() -> np.ndarray:
            res = optimize_portfolio(sample_covariance(inputs.returns), objective=spec)
            return _vector(res.weights, cols)

        return t5
    if task is Task.T6:

        def t6() -> np.ndarray:
            res = optimize_portfolio(
                cov,
                mu,
                objective=Objective.MIN_CVAR,
                returns=inputs.returns,
                cvar_alpha=t.CVAR_ALPHA,
            )
            return _vector(res.weights, cols)

        return t6
    if task is Task.T7:
        return _cryptofolio_walk_forward(inputs)
    if task is Task.T8:
        cons = Constraints(l2=CRYPTOFOLIO_L2)

        def t8() -> np.ndarray:
            res = optimize_portfolio(
                cov,
                mu,
                objective=Objective.MAX_UTILITY,
                risk_aversion=CRYPTOFOLIO_RISK_AVERSION,
                constraints=cons,
                warm_starts=warm,
            )
            return _vector(res.weights, cols)

        return t8
    raise Unsupported(f"unknown task {task}")


# cryptofolio's MAX_UTILITY (optimize/objectives/max_utility.py) takes ``risk_aversion`` δ of
# max μ'w - (δ/2) w'Σw, the task's (and PyPortfolioOpt's) δ, and solves it as
# 1/2 w'Σw - (1/δ) μ'w + l2 ||w||² (its L2 penalty is added to half the variance). Dividing the
# task's utility w'μ - (δ/2) w'Σw - γ||w||² by δ gives l2 = γ/δ. (Agreement with PyPortfolioOpt
# and skfolio in the results checks this mapping.) Until 0.1.0 ``risk_aversion`` was 1/δ.
CRYPTOFOLIO_RISK_AVERSION = t.RISK_AVERSION
CRYPTOFOLIO_L2 = t.L2_GAMMA / t.RISK_AVERSION


# ----------------------------------------------------------------------------- PyPortfolioOpt


def _pypfopt(task: Task, inputs: BenchInputs) -> Runner:
    from pypfopt import EfficientCVaR, EfficientFrontier, objective_functions, risk_models
    from pypfopt.exceptions import OptimizationError

    mu, cov, cols = inputs.mu, inputs.cov, inputs.returns.columns
    if task is Task.T1:
        return lambda: _vector(EfficientFrontier(mu, cov).min_volatility(), cols)
    if task is Task.T2:
        return lambda: _vector(
            EfficientFrontier(mu, cov, weight_bounds=(0, t.MAX_WEIGHT_T2)).max_sharpe(
                risk_free_rate=0.0
            ),
            cols,
        )
    if task is Task.T3:
        # pypfopt.plotting.plot_efficient_frontier: returns from the min-vol portfolio's to the
        # maximum return, then efficient_return on one re-used object (parameters re-solved).
        def t3() -> np.ndarray:
            ef = EfficientFrontier(mu, cov)
            ef_minvol = ef.deepcopy()
            ef_maxret = ef.deepcopy()
            ef_minvol.min_volatility()
            low = ef_minvol.portfolio_performance()[0]
            high = ef_maxret._max_return()
            out = []
            for target in np.linspace(low, high - 0.0001, t.FRONTIER_POINTS):
                try:  # plot_efficient_frontier skips the points the solver fails on
                    ef.efficient_return(target)
                except OptimizationError:
                    continue
                out.append(_vector(ef.weights, cols))
            return np.array(out)

        return t3
    if task is Task.T4:

        def t4() -> np.ndarray:
            shrunk = risk_models.CovarianceShrinkage(
                inputs.returns, returns_data=True, frequency=365
            ).ledoit_wolf()
            return _vector(EfficientFrontier(None, shrunk).min_volatility(), cols)

        return t4
    if task is Task.T5:
        from pypfopt import HRPOpt

        return lambda: _vector(
            HRPOpt(returns=inputs.returns).optimize(linkage_method="single"), cols
        )
    if task is Task.T6:
        return lambda: _vector(
            EfficientCVaR(mu, inputs.returns, beta=t.CVAR_ALPHA).min_cvar(), cols
        )
    if task is Task.T7:
        values = inputs.returns.to_numpy()
        idx = t.rebalance_indices(inputs.n_days)

        def t7() -> np.ndarray:
            out = np.empty((len(idx), inputs.n_assets))
            for k, i in enumerate(idx):
                window = inputs.returns.iloc[i - t.LOOKBACK_DAYS : i]
                sigma = risk_models.sample_cov(window, returns_data=True, frequency=365)
                out[k] = _vector(EfficientFrontier(None, sigma).min_volatility(), cols)
            t.simulate_equity(values, out)
            return out

        return t7
    if task is Task.T8:

        def t8() -> np.ndarray:
            ef = EfficientFrontier(mu, cov)
            ef.add_objective(objective_functions.L2_reg, gamma=t.L2_GAMMA)
            return _vector(ef.max_quadratic_utility(risk_aversion=t.RISK_AVERSION), cols)

        return t8
    raise Unsupported(f"unknown task {task}")


# ----------------------------------------------------------------------------- Riskfolio-Lib


def _riskfolio(task: Task, inputs: BenchInputs) -> Runner:
    import riskfolio as rp

    returns, cols = inputs.returns, inputs.returns.columns
    mu_row = inputs.mu.to_frame().T

    def portfolio() -> rp.Portfolio:
        port = rp.Portfolio(returns=returns)
        port.mu = mu_row
        port.cov = inputs.cov
        return port

    def solve(port: rp.Portfolio, rm: str, obj: str) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = port.optimization(model="Classic", rm=rm, obj=obj, rf=0, hist=True)
        if w is None:
            raise RuntimeError(f"Riskfolio-Lib returned no solution ({rm}, {obj})")
        return _vector(w["weights"], cols)

    if task is Task.T1:
        return lambda: solve(portfolio(), "MV", "MinRisk")
    if task is Task.T2:

        def t2() -> np.ndarray:
            port = portfolio()
            port.upperlng = t.MAX_WEIGHT_T2
            return solve(port, "MV", "Sharpe")

        return t2
    if task is Task.T3:

        def t3() -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frontier = portfolio().efficient_frontier(
                    model="Classic", rm="MV", points=t.FRONTIER_POINTS, rf=0, hist=True
                )
            return frontier.reindex(cols).to_numpy().T

        return t3
    if task is Task.T4:

        def t4() -> np.ndarray:
            port = rp.Portfolio(returns=returns)
            port.assets_stats(method_mu="hist", method_cov="ledoit")
            return solve(port, "MV", "MinRisk")

        return t4
    if task is Task.T5:

        def t5() -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = rp.HCPortfolio(returns=returns).optimization(
                    model="HRP", codependence="pearson", rm="MV", linkage="single", leaf_order=False
                )
            return _vector(w["weights"], cols)

        return t5
    if task is Task.T6:

        def t6() -> np.ndarray:
            port = portfolio()
            port.alpha = 1.0 - t.CVAR_ALPHA
            return solve(port, "CVaR", "MinRisk")

        return t6
    if task is Task.T7:
        values = returns.to_numpy()
        idx = t.rebalance_indices(inputs.n_days)

        def t7() -> np.ndarray:
            out = np.empty((len(idx), inputs.n_assets))
            for k, i in enumerate(idx):
                port = rp.Portfolio(returns=returns.iloc[i - t.LOOKBACK_DAYS : i])
                port.assets_stats(method_mu="hist", method_cov="hist")
                out[k] = solve(port, "MV", "MinRisk")
            t.simulate_equity(values, out)
            return out

        return t7
    if task is Task.T8:
        raise Unsupported("Riskfolio-Lib has no L2 (small-weights) penalty: T8 not comparable")
    raise Unsupported(f"unknown task {task}")


# ----------------------------------------------------------------------------- skfolio


def _skfolio(task: Task, inputs: BenchInputs) -> Runner:
    from skfolio import RiskMeasure
    from skfolio.moments import LedoitWolf
    from skfolio.optimization import MeanRisk, ObjectiveFunction
    from skfolio.prior import EmpiricalPrior

    returns = inputs.returns
    if task is Task.T1:
        return lambda: MeanRisk(risk_measure=RiskMeasure.VARIANCE).fit(returns).weights_
    if task is Task.T2:
        return lambda: (
            MeanRisk(
                objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
                risk_measure=RiskMeasure.VARIANCE,
                max_weights=t.MAX_WEIGHT_T2,
            )
            .fit(returns)
            .weights_
        )
    if task is Task.T3:
        return lambda: (
            MeanRisk(risk_measure=RiskMeasure.VARIANCE, efficient_frontier_size=t.FRONTIER_POINTS)
            .fit(returns)
            .weights_
        )
    if task is Task.T4:
        return lambda: (
            MeanRisk(
                risk_measure=RiskMeasure.VARIANCE,
                prior_estimator=EmpiricalPrior(covariance_estimator=LedoitWolf()),
            )
            .fit(returns)
            .weights_
        )
    if task is Task.T5:
        from skfolio.cluster import HierarchicalClustering, LinkageMethod
        from skfolio.optimization import HierarchicalRiskParity
        from skfolio.seriation import HierarchicalSeriation

        seriation = HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod.SINGLE
            ),
            optimal_ordering=False,
        )
        return lambda: HierarchicalRiskParity(seriation_estimator=seriation).fit(returns).weights_
    if task is Task.T6:
        return lambda: (
            MeanRisk(risk_measure=RiskMeasure.CVAR, cvar_beta=t.CVAR_ALPHA).fit(returns).weights_
        )
    if task is Task.T7:
        from skfolio.model_selection import WalkForward, cross_val_predict

        def t7() -> np.ndarray:
            pred = cross_val_predict(
                MeanRisk(risk_measure=RiskMeasure.VARIANCE),
                returns,
                cv=WalkForward(test_size=t.REBALANCE_EVERY, train_size=t.LOOKBACK_DAYS),
            )
            return np.array([p.weights for p in pred.portfolios])

        return t7
    if task is Task.T8:
        # skfolio works in daily units: dividing the annual utility by 365 gives
        # w'μd - (δ/2) w'Σd w - (γ/365) ||w||².
        return lambda: (
            MeanRisk(
                objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
                risk_measure=RiskMeasure.VARIANCE,
                risk_aversion=t.RISK_AVERSION / 2.0,
                l2_coef=t.L2_GAMMA / t.PERIODS_PER_YEAR,
            )
            .fit(returns)
            .weights_
        )
    raise Unsupported(f"unknown task {task}")


# ----------------------------------------------------------------------------- cvxportfolio


def _cvxportfolio(task: Task, inputs: BenchInputs) -> Runner:
    if task is not Task.T1:
        raise Unsupported("cvxportfolio: only T1 is benchmarked (see notes)")
    import cvxportfolio as cvx

    cols = inputs.returns.columns
    holdings = pd.Series(0.0, index=[*cols, "USDOLLAR"])
    holdings["USDOLLAR"] = 1e6
    when = inputs.returns.index[-1]

    def t1() -> np.ndarray:
        policy = cvx.SinglePeriodOptimization(
            objective=-cvx.FullCovariance(inputs.cov),
            constraints=[cvx.LongOnly(), cvx.NoCash()],
            include_cash_return=False,  # no market data: no observed cash return to read
        )
        trades, _, _ = policy.execute(h=holdings, market_data=None, t=when)
        post = holdings + trades
        return _vector(post[cols] / post.sum(), cols)

    return t1


# ----------------------------------------------------------------------------- entry point


def _cryptofolio_repeat(task: Task, inputs: BenchInputs) -> Runner:
    if task not in (Task.T1, Task.T2, Task.T8):
        raise Unsupported("warm repeat only reported for T1, T2, T8")
    from cryptofolio.optimize import WarmStarts

    return _cryptofolio_runner(task, inputs, WarmStarts())


_ADAPTERS: dict[str, Callable[[Task, BenchInputs], Runner]] = {
    CRYPTOFOLIO: _cryptofolio,
    CRYPTOFOLIO_WARM: _cryptofolio_repeat,
    PYPFOPT: _pypfopt,
    RISKFOLIO: _riskfolio,
    SKFOLIO: _skfolio,
    CVXPORTFOLIO: _cvxportfolio,
}


def prepare(library: str, task: Task, inputs: BenchInputs) -> Runner:
    """A callable running ``task`` once with ``library`` (raises :class:`Unsupported`)."""
    return _ADAPTERS[library](task, inputs)


def library_versions() -> dict[str, str]:
    from importlib import metadata

    names = {
        CRYPTOFOLIO: "cryptofolio",
        PYPFOPT: "pyportfolioopt",
        RISKFOLIO: "riskfolio-lib",
        SKFOLIO: "skfolio",
        CVXPORTFOLIO: "cvxportfolio",
        "cvxpy": "cvxpy",
        "clarabel": "clarabel",
        "osqp": "osqp",
        "numpy": "numpy",
        "scipy": "scipy",
        "pandas": "pandas",
        "scikit-learn": "scikit-learn",
    }
    out = {}
    for label, dist in names.items():
        try:
            out[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[label] = "not installed"
    return out
