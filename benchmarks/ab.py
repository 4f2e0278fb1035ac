"""Before/after timing of one benchmark cell in one process: an earlier commit's cryptofolio
against the working tree's, each call right after a peer library's call, as in the suite.

The machine's speed drifts by up to 1.5x between minutes, so two runs of the suite minutes
apart cannot resolve a change of a few per cent. Here both versions run in the same process
and alternate call by call (the order swapping every round), so the drift cancels in their
ratio. The earlier commit's ``src/cryptofolio`` is extracted with ``git archive`` into a
temporary folder and imported as the package ``cryptofolio_before`` (its imports of itself
renamed).

Any task, on the synthetic panel of ``--n`` assets: both versions run the suite's own
cryptofolio runner (``benchmarks/peers.py``, warm-start cache cleared before each call), the
earlier one prepared while ``cryptofolio`` names the extracted package. Each timed call
follows a PyPortfolioOpt call of the same task (T7: of T4, which is shorter).

A script, not a test: it prints the two medians and their ratio (below 1: the working tree
is faster).

    .venv/bin/python benchmarks/ab.py --before HEAD~1 --task T4 --n 50
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


#: The subpackages the benchmark runners import (loaded before the aliasing below).
SUBPACKAGES = ("estimate", "optimize", "backtest", "data")


@contextlib.contextmanager
def imported_as_cryptofolio(package: str) -> Iterator[None]:
    """Inside, ``import cryptofolio.x`` finds ``package.x``: ``peers.prepare`` then builds the
    suite's own cryptofolio runner of a task from ``package`` (its imports run when a runner
    is prepared, not when it is called). The working tree's modules come back on exit."""
    for sub in SUBPACKAGES:
        importlib.import_module(f"{package}.{sub}")

    def named(prefix: str) -> dict[str, object]:
        return {k: m for k, m in sys.modules.items() if k == prefix or k.startswith(prefix + ".")}

    own = named("cryptofolio")
    alias = {"cryptofolio" + k[len(package) :]: m for k, m in named(package).items()}
    for k in own:
        del sys.modules[k]
    sys.modules.update(alias)
    try:
        yield
    finally:
        for k in alias:
            sys.modules.pop(k, None)
        sys.modules.update(own)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD", help="git revision to compare against")
    parser.add_argument("--task", default="T4", help="T1 .. T8 (not T5)")
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
        with imported_as_cryptofolio(BEFORE):
            before = peers.prepare(peers.CRYPTOFOLIO, task, inputs)
        calls = {"before": before, "after": peers.prepare(peers.CRYPTOFOLIO, task, inputs)}
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
