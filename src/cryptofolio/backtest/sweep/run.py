"""Running a sweep: every configuration as a walk-forward backtest after costs, on a runner,
kept in a results store, then judged (:mod:`cryptofolio.backtest.sweep.selection`)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.backtest import BacktestConfig, infer_periods_per_year
from cryptofolio.backtest.sweep.evaluate import ConfigurationRun, run_configuration
from cryptofolio.backtest.sweep.result import STAT_COLUMNS, SweepResult
from cryptofolio.backtest.sweep.runners import make_runner
from cryptofolio.backtest.sweep.selection import judge_returns
from cryptofolio.backtest.sweep.spec import SweepSpec, configuration_key
from cryptofolio.backtest.sweep.store import ResultsStore, panels_fingerprint
from cryptofolio.costs import CostModel
from cryptofolio.data import Panels
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import Constraints, PortfolioConfig


@dataclass(frozen=True)
class SweepProgress:
    """Reported after each configuration finishes: ``done`` of ``total`` (resumed ones
    counted in both), the one that finished and how long it took (seconds)."""

    done: int
    total: int
    key: str
    params: Mapping[str, Any]
    seconds: float
    failed: bool


@dataclass(frozen=True)
class SweepEstimate:
    """Estimated wall time of the rest of a sweep from its timed first configuration:
    ``first_seconds * remaining / workers`` (an estimate: configurations differ in cost)."""

    first_seconds: float
    remaining: int
    workers: int

    @property
    def seconds(self) -> float:
        """Estimated seconds for the remaining configurations."""
        return self.first_seconds * self.remaining / max(1, self.workers)


def run_sweep(
    spec: SweepSpec,
    panels: Panels,
    *,
    workers: int = 1,
    dask: str | Any = None,
    output_dir: str | Path | None = None,
    progress: Callable[[SweepProgress], None] | None = None,
    on_estimate: Callable[[SweepEstimate], None] | None = None,
    dask_timeout: float = 10.0,
) -> SweepResult:
    """Run every configuration of ``spec`` on ``panels`` and judge them out of sample.

    Parameters
    ----------
    spec
        The :class:`SweepSpec`.
    panels
        Market data (:func:`cryptofolio.data.to_panels`), with the history the lookbacks need
        before ``spec.backtest.start``.
    workers
        Local processes (joblib, loky); 1 runs in this process.
    dask
        A Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``; wins over
        ``workers``.
    output_dir
        Results store folder: each finished configuration is kept there, and a rerun with the
        same folder (same data and base settings) skips the finished ones.
    progress
        Called with a :class:`SweepProgress` after each configuration.
    on_estimate
        Called once, with a :class:`SweepEstimate` after the first configuration that had to
        run (timed in this process); it may raise to stop the sweep (the finished
        configuration stays in the store).
    dask_timeout
        Seconds to wait for the Dask scheduler.

    Raises
    ------
    BacktestError
        A Dask scheduler that cannot be reached (before anything is written), a store folder
        that holds another sweep, too few common rows for the folds, no configuration that ran.
    """
    items = [(configuration_key(v), v) for v in map(spec.resolved, spec.configurations())]
    runner = make_runner(workers, dask, dask_timeout)
    with runner:
        store = None
        if output_dir is not None:
            store = ResultsStore(output_dir, sweep_identity(spec, panels)).open()
        done: dict[str, ConfigurationRun] = {}
        if store is not None:
            done.update((r.key, r) for r in store.runs({k for k, _ in items}))
        todo = [(k, v) for k, v in items if k not in done]

        def finished(run: ConfigurationRun) -> None:
            if store is not None:
                store.save(run)
            done[run.key] = run
            if progress is not None:
                progress(
                    SweepProgress(
                        len(done), len(items), run.key, run.params, run.seconds, not run.ok
                    )
                )

        if todo and on_estimate is not None:
            key, values = todo.pop(0)
            finished(run_configuration(panels, key, values, spec.backtest, spec.portfolio))
            on_estimate(SweepEstimate(done[key].seconds, len(todo), runner.workers))
        if todo:
            for run in runner.run(panels, todo, spec.backtest, spec.portfolio):
                finished(run)
    ppy = spec.backtest.periods_per_year or infer_periods_per_year(panels.close.index)
    return assemble_result(spec, [done[k] for k, _ in items], ppy)


def assemble_result(
    spec: SweepSpec, runs: list[ConfigurationRun], periods_per_year: float
) -> SweepResult:
    """Judge the finished ``runs`` (in grid order) on their common timestamps."""
    swept = [name for name, _ in spec.grid]
    ok = [r for r in runs if r.ok]
    failed = pd.DataFrame(
        [
            {"key": r.key, **{p: r.params[p] for p in swept}, "error": r.error}
            for r in runs
            if not r.ok
        ],
        columns=["key", *swept, "error"],
    )
    by_key = {r.key: r for r in runs}
    if not ok:
        raise BacktestError(
            f"every configuration of the sweep failed; the first error: {runs[0].error}"
            if runs
            else "the sweep has no configuration to run"
        )
    index = ok[0].returns.index
    for r in ok[1:]:
        index = index.intersection(r.returns.index)
    matrix = np.column_stack([r.returns.reindex(index).to_numpy(dtype=float) for r in ok])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        j = judge_returns(matrix, spec.validation, periods_per_year)
    stats = {
        "sharpe": j.sharpe,
        "is_sharpe": j.is_sharpe,
        "oos_sharpe": j.oos_sharpe,
        "oos_rank": j.oos_rank,
        "psr": j.psr,
        "dsr": j.dsr,
        "times_selected": j.times_selected,
        "skewness": j.skewness,
        "kurtosis": j.kurtosis,
        "total_return": [r.total_return for r in ok],
        "turnover": [r.turnover for r in ok],
        "costs": [r.costs for r in ok],
    }
    table = pd.DataFrame(
        {**{p: [r.params[p] for r in ok] for p in swept}, **stats},
        index=pd.Index([r.key for r in ok], name="key"),
    )[[*swept, *STAT_COLUMNS]]
    table = table.sort_values("sharpe", ascending=False, kind="stable", na_position="last")
    return SweepResult(
        spec=spec,
        configurations=table,
        failed=failed,
        judgement=j,
        runs=by_key,
        index=index,
        periods_per_year=periods_per_year,
    )


def sweep_identity(spec: SweepSpec, panels: Panels) -> dict[str, Any]:
    """What a results store must match to be resumed: the data's fingerprint and the base
    settings that no sweep parameter overrides (the grid itself may grow or shrink)."""
    bt = dataclasses.replace(
        spec.backtest,
        lookback=BacktestConfig.lookback,
        rebalance=BacktestConfig.rebalance,
        window=BacktestConfig.window,
        costs=dataclasses.replace(
            spec.backtest.costs,
            fee_bps=CostModel.fee_bps,
            slippage=CostModel.slippage,
            slippage_bps=CostModel.slippage_bps,
            impact_coefficient=CostModel.impact_coefficient,
        ),
    )
    defaults = PortfolioConfig()
    pf = dataclasses.replace(
        spec.portfolio,
        objective=defaults.objective,
        risk_model=defaults.risk_model,
        expected_returns=defaults.expected_returns,
        risk_aversion=defaults.risk_aversion,
        constraints=dataclasses.replace(
            spec.portfolio.constraints, l2=Constraints.l2, max_weight=Constraints.max_weight
        ),
    )
    return {"data": panels_fingerprint(panels), "backtest": repr(bt), "portfolio": repr(pf)}
