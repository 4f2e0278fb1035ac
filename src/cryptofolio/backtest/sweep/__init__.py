"""Hyper-parameter sweeps of backtest strategies, judged out of sample.

Trying many configurations of a strategy (objective, risk model, L2 γ, risk aversion, lookback,
rebalance schedule, max weight, costs) and keeping the best fits the noise. A sweep runs every
configuration as a walk-forward backtest after costs and reports, besides each one's Sharpe
ratio, the evidence that the best one is more than luck:

* in-sample against out-of-sample Sharpe over purged and embargoed walk-forward folds or
  combinatorial purged cross-validation (:mod:`~cryptofolio.backtest.sweep.folds`);
* the deflated Sharpe ratio given the number of trials and the skewness and kurtosis of the
  returns (:mod:`~cryptofolio.backtest.sweep.deflated_sharpe`);
* the probability of backtest overfitting by CSCV (:mod:`~cryptofolio.backtest.sweep.pbo`);
* the out-of-sample rank of the in-sample winner, and a verdict in plain words.

>>> from cryptofolio.backtest import BacktestConfig, SweepSpec, run_sweep
>>> spec = SweepSpec({"lookback": [90, 180], "objective": ["min-variance", "equal-weight"]},
...                  backtest=BacktestConfig(start="2021-01-01"))
>>> result = run_sweep(spec, panels, workers=2)  # doctest: +SKIP
>>> print(result.verdict)  # doctest: +SKIP
"""

from __future__ import annotations

from cryptofolio.backtest.sweep.deflated_sharpe import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
)
from cryptofolio.backtest.sweep.evaluate import ConfigurationRun, run_configuration
from cryptofolio.backtest.sweep.folds import Fold, cpcv_folds, cpcv_paths, walk_forward_folds
from cryptofolio.backtest.sweep.pbo import (
    OverfitProbability,
    probability_of_backtest_overfitting,
)
from cryptofolio.backtest.sweep.result import DSR_LEVEL, PBO_LEVEL, SweepResult
from cryptofolio.backtest.sweep.run import SweepEstimate, SweepProgress, run_sweep
from cryptofolio.backtest.sweep.runners import DASK_ENV, DaskRunner, ProcessRunner, SerialRunner
from cryptofolio.backtest.sweep.spec import (
    GridFile,
    Sampling,
    SweepParameter,
    SweepSpec,
    ValidationMethod,
    ValidationSpec,
    configuration_key,
    load_grid,
    parse_param,
)
from cryptofolio.backtest.sweep.store import ResultsStore

__all__ = [
    "DASK_ENV",
    "DSR_LEVEL",
    "EULER_GAMMA",
    "PBO_LEVEL",
    "ConfigurationRun",
    "DaskRunner",
    "Fold",
    "GridFile",
    "OverfitProbability",
    "ProcessRunner",
    "ResultsStore",
    "Sampling",
    "SerialRunner",
    "SweepEstimate",
    "SweepParameter",
    "SweepProgress",
    "SweepResult",
    "SweepSpec",
    "ValidationMethod",
    "ValidationSpec",
    "configuration_key",
    "cpcv_folds",
    "cpcv_paths",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "load_grid",
    "parse_param",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "run_configuration",
    "run_sweep",
    "walk_forward_folds",
]
