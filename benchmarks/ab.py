"""Before/after timing of one benchmark cell in one process: an earlier commit's cryptofolio
against the working tree's, each call right after a peer library's call, as in the suite.

The machine's speed drifts by up to 1.5x between minutes, so two runs of the suite minutes
apart cannot resolve a change of a few per cent. Here both versions run in the same process
and alternate call by call (the order swapping every round), so the drift cancels in their
ratio. The earlier commit's ``src/cryptofolio`` is extracted with ``git archive`` into a
temporary folder and imported as the package ``cryptofolio_before`` (its imports of itself
renamed).

Cells: T1 (sample-covariance minimum variance), T4 (Ledoit-Wolf estimate + minimum variance)
and T7 (the weekly walk-forward backtest), on the synthetic panel of ``--n`` assets, called as
``benchmarks/peers.py`` calls them (warm-start cache cleared before each call). Each timed
call follows a PyPortfolioOpt call of the same task (T7: of T4, which is shorter).

A script, not a test: it prints the two medians and their ratio (below 1: the working tree
is faster).

    .venv/bin/python benchmarks/ab.py --before HEAD~1 --task T4 --n 50
"""

from __future__ import annotations

import argparse
import importlib
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from benchmarks import peers
from benchmarks import tasks as t
from benchmarks.run_benchmarks import synthetic_inputs

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "cryptofolio_before"


def extract_package(rev: str, into: Path) -> None:
    """``src/cryptofolio`` at ``rev`` as the package :data:`BEFORE` under ``into``."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", rev, "src/cryptofolio"], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "cryptofolio").rename(into / BEFORE)
    own = re.compile(r"\bcryptofolio(?=[._\s]|$)", re.MULTILINE)
    for path in (into / BEFORE).rglob("*.py"):
        text = path.read_text()
        path.write_text(own.sub(BEFORE, text))


def cell(package: str, task: t.Task, inputs: t.BenchInputs) -> Callable[[], object]:
    """The cryptofolio call of ``task`` written against ``package``."""
    est = importlib.import_module(f"{package}.estimate")
    opt = importlib.import_module(f"{package}.optimize")
    returns = inputs.returns
    if task is t.Task.T1:
        cov, mu = inputs.cov, inputs.mu

        def t1() -> object:
            opt.clear_warm_starts()
            return opt.optimize_portfolio(cov, mu).weights

        return t1
    if task is t.Task.T4:

        def t4() -> object:
            opt.clear_warm_starts()
            shrunk = est.risk_matrix(returns, est.RiskModel.LEDOIT_WOLF, periods_per_year=365.0)
            return opt.optimize_portfolio(shrunk, None).weights

        return t4
    if task is t.Task.T7:
        bt = importlib.import_module(f"{package}.backtest")
        data = importlib.import_module(f"{package}.data")
        prices = inputs.prices
        empty = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
        volume = pd.DataFrame(1e9, index=prices.index, columns=prices.columns)
        panels = data.Panels(
            close=prices, volume=volume, market_cap=empty, open=prices, high=prices, low=prices
        )
        config = bt.BacktestConfig(
            rebalance=f"{t.REBALANCE_EVERY}p",
            lookback=t.LOOKBACK_DAYS + 1,
            start=prices.index[t.LOOKBACK_DAYS + 1],
        )
        strategy = bt.OptimizerStrategy(opt.PortfolioConfig())

        def t7() -> object:
            opt.clear_warm_starts()
            result = bt.run_backtest(panels, strategy, config)
            return next(iter(result.strategies.values())).targets

        return t7
    raise SystemExit(f"ab.py times T1, T4 and T7, not {task.value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD", help="git revision to compare against")
    parser.add_argument("--task", default="T4", help="T1, T4 or T7")
    parser.add_argument("--n", type=int, default=50, help="synthetic N")
    parser.add_argument("--rounds", type=int, default=0, help="timed calls of each (0: auto)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    task = t.Task(args.task)
    inputs = synthetic_inputs(args.n)
    peer = peers.prepare(peers.PYPFOPT, t.Task.T4 if task is t.Task.T7 else task, inputs)
    with tempfile.TemporaryDirectory() as tmp:
        extract_package(args.before, Path(tmp))
        sys.path.insert(0, tmp)
        calls = {"before": cell(BEFORE, task, inputs), "after": cell("cryptofolio", task, inputs)}
        for call in calls.values():  # warm-up (imports, first-call caches)
            call()
        rounds = args.rounds or (30 if task is t.Task.T7 else 300)
        times: dict[str, list[float]] = {name: [] for name in calls}
        for r in range(rounds):
            for name in ("before", "after") if r % 2 else ("after", "before"):
                peer()
                start = time.perf_counter()
                calls[name]()
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(v) for name, v in times.items()}
    print(
        f"{task.value} N={args.n}, {rounds} rounds: {args.before} {median['before'] * 1e3:.3f} ms, "
        f"working tree {median['after'] * 1e3:.3f} ms, ratio "
        f"{median['after'] / median['before']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
