"""One configuration of a sweep run as a walk-forward backtest after costs.

:func:`configured_backtest` turns the resolved values of a configuration into the
:class:`~cryptofolio.backtest.BacktestConfig` and the strategy the public backtest API runs;
:func:`run_configuration` runs it and returns a :class:`ConfigurationRun` (the periodic
returns after costs and a few totals), which is what runners ship back and the results store
keeps. A configuration whose backtest fails records the error instead of stopping the sweep.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.backtest.sweep.spec import BASELINE_STRATEGIES, SweepParameter
from cryptofolio.costs import parse_slippage
from cryptofolio.data import Panels
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import ExpectedReturnsMethod, RiskModel
from cryptofolio.optimize import Objective, PortfolioConfig

P = SweepParameter


@dataclass(frozen=True)
class ConfigurationRun:
    """The outcome of one configuration.

    Attributes
    ----------
    key
        :func:`~cryptofolio.backtest.sweep.spec.configuration_key` of ``params``.
    params
        Resolved values of every sweep parameter (plain JSON values).
    returns
        Periodic simple returns of the equity after costs (UTC index); empty when it failed.
    total_return, turnover, costs
        Total return (fraction), mean turnover per rebalance (fraction), costs paid (quote
        currency); NaN when it failed.
    seconds
        Wall time of the backtest on the worker.
    error
        The error message when the backtest failed, else ``None``.
    """

    key: str
    params: Mapping[str, Any]
    returns: pd.Series
    total_return: float
    turnover: float
    costs: float
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the backtest ran."""
        return self.error is None


def configured_backtest(
    values: Mapping[str, Any], backtest: BacktestConfig, portfolio: PortfolioConfig
) -> tuple[BacktestConfig, Any]:
    """The backtest settings and the strategy of one configuration: ``backtest`` and
    ``portfolio`` with the fields of the resolved ``values`` replaced."""
    constraints = dataclasses.replace(
        portfolio.constraints, l2=values[P.L2], max_weight=values[P.MAX_WEIGHT]
    )
    objective = values[P.OBJECTIVE]
    config = dataclasses.replace(
        portfolio,
        risk_model=RiskModel(values[P.RISK_MODEL]),
        expected_returns=ExpectedReturnsMethod(values[P.EXPECTED_RETURNS]),
        risk_aversion=values[P.RISK_AVERSION],
        constraints=constraints,
    )
    kind, slip_bps = parse_slippage(values[P.SLIPPAGE])
    costs = dataclasses.replace(
        backtest.costs,
        fee_bps=values[P.FEE_BPS],
        slippage=kind,
        slippage_bps=slip_bps,
        impact_coefficient=values[P.IMPACT_COEFFICIENT],
    )
    bt = dataclasses.replace(
        backtest,
        lookback=values[P.LOOKBACK],
        window=values[P.WINDOW],
        rebalance=values[P.REBALANCE],
        costs=costs,
    )
    if objective in BASELINE_STRATEGIES:
        return bt, make_strategy(objective)
    config = dataclasses.replace(config, objective=Objective(objective))
    return bt, make_strategy(objective, config=config)


def run_configuration(
    panels: Panels,
    key: str,
    values: Mapping[str, Any],
    backtest: BacktestConfig,
    portfolio: PortfolioConfig,
) -> ConfigurationRun:
    """Backtest one configuration on ``panels``; a library error is recorded, not raised.

    Warnings of the backtest (ill-conditioned windows, ...) are not repeated per configuration:
    they are silenced here (the one-configuration ``cryptofolio backtest`` shows them).
    """
    began = time.perf_counter()
    try:
        config, strategy = configured_backtest(values, backtest, portfolio)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_backtest(panels, strategy, config)
    except CryptofolioError as exc:
        return ConfigurationRun(
            key=key,
            params=dict(values),
            returns=pd.Series(dtype=float),
            total_return=float("nan"),
            turnover=float("nan"),
            costs=float("nan"),
            seconds=time.perf_counter() - began,
            error=f"{type(exc).__name__}: {exc}",
        )
    run = next(iter(result.strategies.values()))
    turnover = run.rebalances["turnover"] if "turnover" in run.rebalances else pd.Series()
    return ConfigurationRun(
        key=key,
        params=dict(values),
        returns=run.returns.astype(float),
        total_return=float(run.equity.iloc[-1] / run.initial_capital - 1.0),
        turnover=float(np.mean(turnover)) if len(turnover) else float("nan"),
        costs=float(run.total_costs),
        seconds=time.perf_counter() - began,
    )
