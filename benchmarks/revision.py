"""An earlier revision of cryptofolio, importable beside the current one, for before/after runs.

``run_benchmarks.py --before REV`` times the package as it was at git revision ``REV`` in the
same process, interleaved with the current code and the peers, so the two speed ratios come
from one run on the same machine state (a shared machine's load changes between runs).

How: ``git archive REV src/cryptofolio`` is unpacked into a temporary folder as the package
``cryptofolio_<rev>``, with the package's own absolute imports (``from cryptofolio.x import``,
``"cryptofolio.x"`` strings) rewritten to that name. Nothing is installed; the temporary folder
goes when the process ends. The earlier code is called the way the benchmark called it at that
revision: ``optimize_portfolio(cov, mu, ...)`` with the keyword arguments every revision since
the first wave accepts, and ``clear_warm_starts()`` before each call where the revision has it
(revisions with a process-wide warm-start cache: cold solves, like a peer's).
"""

from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from benchmarks import tasks as t
from benchmarks.tasks import BenchInputs, Task

ROOT = Path(__file__).resolve().parents[1]
LABEL_PREFIX = "cryptofolio @"
_DOTTED = re.compile(r"\bcryptofolio(?=\.[A-Za-z_])")
_IMPORT = re.compile(r"\b(from|import) cryptofolio\b(?!\.)")


class Unsupported(Exception):
    """The earlier revision has no such feature."""


class Revision:
    """The package at git revision ``rev``, imported as ``cryptofolio_<short sha>``.

    Parameters
    ----------
    rev : str
        Any git revision name (sha, tag, branch) of this repository.
    """

    def __init__(self, rev: str) -> None:
        sha = _git("rev-parse", "--short=7", f"{rev}^{{commit}}")
        self.sha = sha
        self.label = f"{LABEL_PREFIX}{sha}"
        self.name = f"cryptofolio_{sha}"
        self._folder = tempfile.TemporaryDirectory(prefix="cryptofolio-rev-")
        _unpack(sha, Path(self._folder.name), self.name)
        sys.path.insert(0, self._folder.name)
        self.package = importlib.import_module(self.name)

    def module(self, dotted: str) -> ModuleType:
        """The earlier revision's ``cryptofolio.<dotted>`` module."""
        return importlib.import_module(f"{self.name}.{dotted}")

    def prepare(self, task: Task, inputs: BenchInputs):
        """A zero-argument callable running ``task`` once, weights in ``inputs`` column order."""
        runner = _runner(self, task, inputs)
        clear = getattr(self.module("optimize"), "clear_warm_starts", None)
        if clear is None:
            return runner

        def cold() -> np.ndarray:
            clear()
            return runner()

        return cold


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _unpack(sha: str, folder: Path, name: str) -> None:
    """The revision's ``src/cryptofolio`` as ``folder/name`` with its imports renamed."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", sha, "src/cryptofolio"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / name
    (folder / "src" / "cryptofolio").rename(package)
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        text = _IMPORT.sub(rf"\1 {name}", _DOTTED.sub(name, text))
        path.write_text(text, encoding="utf-8")


def _vector(weights: pd.Series, columns: pd.Index) -> np.ndarray:
    return weights.reindex(columns).to_numpy(dtype=float)


def _runner(rev: Revision, task: Task, inputs: BenchInputs):
    """The task as the benchmark called cryptofolio at that revision."""
    opt = rev.module("optimize")
    mu, cov, cols = inputs.mu, inputs.cov, inputs.returns.columns
    if task is Task.T1:
        return lambda: _vector(opt.optimize_portfolio(cov, mu).weights, cols)
    if task is Task.T2:
        cons = opt.Constraints(max_weight=t.MAX_WEIGHT_T2)
        objective = opt.Objective.MAX_SHARPE
        return lambda: _vector(
            opt.optimize_portfolio(cov, mu, objective=objective, constraints=cons).weights, cols
        )
    if task is Task.T3:
        return lambda: (
            opt.efficient_frontier(cov, mu, points=t.FRONTIER_POINTS)
            .weights.reindex(columns=cols)
            .to_numpy()
        )
    if task is Task.T4:
        est = rev.module("estimate")

        def t4() -> np.ndarray:
            shrunk = est.risk_matrix(
                inputs.returns, est.RiskModel.LEDOIT_WOLF, periods_per_year=365.0
            )
            return _vector(opt.optimize_portfolio(shrunk, None).weights, cols)

        return t4
    if task is Task.T6:
        objective = opt.Objective.MIN_CVAR
        return lambda: _vector(
            opt.optimize_portfolio(
                cov, mu, objective=objective, returns=inputs.returns, cvar_alpha=t.CVAR_ALPHA
            ).weights,
            cols,
        )
    if task is Task.T7:
        return _walk_forward(rev, inputs)
    if task is Task.T8:
        cons = opt.Constraints(l2=t.L2_GAMMA / t.RISK_AVERSION)
        objective = opt.Objective.MAX_UTILITY
        return lambda: _vector(
            opt.optimize_portfolio(
                cov, mu, objective=objective, risk_aversion=1.0 / t.RISK_AVERSION, constraints=cons
            ).weights,
            cols,
        )
    raise Unsupported(f"{rev.label}: {task.value} not benchmarked for earlier revisions")


def _walk_forward(rev: Revision, inputs: BenchInputs):
    """T7 through that revision's backtester, set up as ``peers._cryptofolio_walk_forward``."""
    bt, data, opt = rev.module("backtest"), rev.module("data"), rev.module("optimize")
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
    cols = inputs.returns.columns

    def run() -> np.ndarray:
        result = bt.run_backtest(panels, strategy, config)
        targets = next(iter(result.strategies.values())).targets
        return targets.reindex(columns=cols).fillna(0.0).to_numpy()

    return run
