"""The backtest stage: walk-forward simulation of strategies with trading costs.

>>> from cryptofolio.data import load_dataset, to_panels
>>> from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
>>> panels = to_panels(load_dataset("coingecko-daily", symbols=["BTC", "ETH"]))
>>> result = run_backtest(panels, [make_strategy("equal-weight")], BacktestConfig(lookback=90))
>>> result.metrics()  # doctest: +SKIP
"""

from cryptofolio.backtest.config import BacktestConfig, FailurePolicy, WindowKind
from cryptofolio.backtest.engine import (
    Progress,
    infer_periods_per_year,
    run_backtest,
    runnable_strategies,
)
from cryptofolio.backtest.metrics import metrics_json, metrics_table, strategy_metrics
from cryptofolio.backtest.results import BacktestResult, StrategyResult
from cryptofolio.backtest.schedule import Schedule, ScheduleKind, parse_schedule
from cryptofolio.backtest.strategies import (
    BuyAndHold,
    DecisionContext,
    EqualWeight,
    FixedWeights,
    MarketCap,
    OptimizerStrategy,
    Strategy,
    available_strategies,
    make_strategy,
    register_strategy,
)
from cryptofolio.backtest.sweep import SweepResult, SweepSpec, run_sweep

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "BuyAndHold",
    "DecisionContext",
    "EqualWeight",
    "FailurePolicy",
    "FixedWeights",
    "MarketCap",
    "OptimizerStrategy",
    "Progress",
    "Schedule",
    "ScheduleKind",
    "Strategy",
    "StrategyResult",
    "SweepResult",
    "SweepSpec",
    "WindowKind",
    "available_strategies",
    "infer_periods_per_year",
    "make_strategy",
    "metrics_json",
    "metrics_table",
    "parse_schedule",
    "register_strategy",
    "run_backtest",
    "run_sweep",
    "runnable_strategies",
    "strategy_metrics",
]
