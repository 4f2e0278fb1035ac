"""Walk-forward simulation of holdings in units plus cash, with costs, on a ragged universe.

Timeline of one row ``i`` (timestamp ``t``) of the simulation:

1. **Data stops.** A held asset without a valid close at ``t`` (delisted, end of file, a
   missing day) is liquidated at its last valid close, paying commission and slippage (volume
   of that last row); the event is recorded. Nothing is filled forward.
2. **Decision.** On a rebalance row the strategy receives a :class:`DecisionContext` holding
   only rows strictly before ``t``: the eligible assets (a full clean lookback before ``t`` and
   a price at ``t`` to trade at), the drifted weights valued at the last closes before ``t``.
3. **Execution** at the close of row ``t``. Target weights are fractions of the post-cost
   portfolio value ``V'``; ``V' = V - C(trades(V'))`` is solved by fixed-point iteration, so
   that right after trading every traded asset sits exactly at its target weight and costs
   are paid from cash. Trades smaller than ``min_notional`` (sized at the pre-cost value) are
   skipped and recorded, as are trades in assets with no volume under the square-root model
   when the zero-volume policy is ``skip``.
4. **Mark to market** at the close of ``t``: equity and end-of-row weights are recorded.
   Between rebalances the units are constant, so weights drift with prices.

The simulation starts at the first row (at or after ``start``) where at least one asset is
eligible, and ends at ``end`` or the last row. All internal state is numpy arrays; pandas is
touched only to build each strategy's context and the final results.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cryptofolio.backtest.config import BacktestConfig
from cryptofolio.backtest.market import Market
from cryptofolio.backtest.results import BacktestResult
from cryptofolio.backtest.simulation import Progress, Simulation
from cryptofolio.backtest.strategies import BENCHMARKS, Strategy, StrategyNote
from cryptofolio.blas import single_blas_thread
from cryptofolio.data import Panels, wide_panels
from cryptofolio.data.at_use import insert_missing_periods
from cryptofolio.errors import BacktestError
from cryptofolio.user_warnings import user_stacklevel


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """365 for daily rows, 8760 for hourly, from the median spacing (365-day year)."""
    if len(index) < 2:
        return 365.0
    seconds = float(np.median(np.diff(index.asi8))) / _per_second(index)
    if seconds <= 0:
        raise BacktestError("timestamps are not increasing; cannot infer the data frequency")
    return round(365 * 86_400 / seconds, 6)


def _per_second(index: pd.DatetimeIndex) -> float:
    return {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}[getattr(index, "unit", "ns")]


@single_blas_thread
def run_backtest(
    panels: Panels | pd.DataFrame,
    strategies: Strategy | Sequence[Strategy],
    config: BacktestConfig | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
) -> BacktestResult:
    """Simulate each strategy on ``panels`` (see the module docs for the exact timeline).

    Parameters
    ----------
    panels
        Wide, ragged market data (:func:`cryptofolio.data.to_panels`); ``volume`` is needed by
        the square-root slippage model, ``market_cap`` by the market-cap strategy. A wide
        DataFrame of closes (rows = dates, columns = assets) is read with
        :func:`cryptofolio.data.wide_panels` (no volume, no market caps).
    strategies
        One strategy or several (distinct names); each runs on its own portfolio.
    config
        :class:`BacktestConfig`.
    progress
        Called with a :class:`Progress` after every rebalance.

    Raises
    ------
    BacktestError
        Bad window (lookback longer than the data, empty date range), a strategy failing on a
        date (with ``on_failure='raise'``), invalid target weights, zero volume under the
        square-root model (with the ``raise`` policy), a benchmark without its data (btc-hold
        without BTC, market-cap where an asset has no market cap), before any work.
    """
    config = config or BacktestConfig()
    if isinstance(panels, pd.DataFrame):  # a user's own wide frame of closes
        panels = wide_panels(panels)
    if not isinstance(strategies, Sequence):
        strategies = [strategies]
    if not strategies:
        raise BacktestError("no strategy to backtest; pass at least one")
    names = [s.name for s in strategies]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BacktestError(f"strategy names must be distinct; repeated: {', '.join(dupes)}")
    _ = config.schedule  # parse early: a bad schedule fails before any work
    market = Market(insert_missing_periods(panels, what="the backtest data"), config)
    for strategy in strategies:  # before any work: a benchmark without its data is refused
        _check_strategy_data(strategy, panels, market.assets)
    results = {}
    for strategy in strategies:
        results[strategy.name] = Simulation(market, strategy, config, progress).run()
    ppy = config.periods_per_year or infer_periods_per_year(market.index)
    return BacktestResult(
        strategies=results,
        config=config,
        universe=market.universe_events(),
        periods_per_year=ppy,
        benchmarks=tuple(n for n in names if _is_benchmark(n)),
    )


def _check_strategy_data(strategy: Strategy, panels: Panels, assets: Sequence[str]) -> None:
    """Raise the strategy's own ``BacktestError`` when the data lacks what it needs (a
    benchmark's asset, market caps)."""
    check = getattr(strategy, "check_assets", None)
    if callable(check):
        check(assets)
    check_data = getattr(strategy, "check_data", None)
    if callable(check_data):
        check_data(panels)


def runnable_strategies(
    panels: Panels | pd.DataFrame, strategies: Sequence[Strategy]
) -> list[Strategy]:
    """The strategies that the data can run, for a default set that nobody chose: a benchmark
    whose data is missing (btc-hold without BTC, market-cap without market caps) is left
    out with a :class:`StrategyNote` saying which and why. A set the user chose goes to
    :func:`run_backtest` as it is, which refuses such a benchmark instead.

    Raises
    ------
    BacktestError
        When no strategy is left.
    """
    if isinstance(panels, pd.DataFrame):
        panels = wide_panels(panels)
    assets = [str(a) for a in panels.close.columns]
    kept = []
    for strategy in strategies:
        try:
            _check_strategy_data(strategy, panels, assets)
        except BacktestError as exc:
            warnings.warn(
                f"{strategy.name} left out of the default strategies: {exc}",
                StrategyNote,
                stacklevel=user_stacklevel(),
            )
        else:
            kept.append(strategy)
    if not kept:
        raise BacktestError("none of the strategies can run on this data; choose --strategies")
    return kept


def _is_benchmark(name: str) -> bool:
    return name in BENCHMARKS or name.endswith("-hold")
