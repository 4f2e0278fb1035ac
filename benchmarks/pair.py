"""Time cryptofolio against one peer on one task, alternating call by call.

The suite (run_benchmarks.py) measures each library in turn. This script alternates the two
libraries call by call, so each call starts right after the other library's call (caches cold
from it, its BLAS threads maybe still spinning). Use it to re-time one cell of the suite:

    .venv/bin/python benchmarks/pair.py --n 200 --tasks T4,T1 --peer PyPortfolioOpt

Prints the median wall time of each library and the ratio (peer / cryptofolio). With
``--alone`` it times cryptofolio's calls back to back instead (no peer in between), for
comparison. A script, not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import peers
from benchmarks import tasks as t
from benchmarks.run_benchmarks import real_inputs, synthetic_inputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="synthetic N (0: bundled real data)")
    parser.add_argument("--tasks", default="T1,T2,T4,T8", help="e.g. T1,T4")
    parser.add_argument("--peer", default=peers.PYPFOPT, help="peer library name")
    parser.add_argument("--repeats", type=int, default=15, help="alternating pairs of calls")
    parser.add_argument(
        "--alone", action="store_true", help="time cryptofolio back to back, without the peer"
    )
    args = parser.parse_args(argv)
    inputs = real_inputs() if args.n == 0 else synthetic_inputs(args.n)
    for name in args.tasks.split(","):
        task = t.Task(name.strip())
        ours = peers.prepare(peers.CRYPTOFOLIO, task, inputs)
        if args.alone:
            ours()
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                ours()
                times.append(time.perf_counter() - start)
            mine = statistics.median(times)
            print(
                f"N={inputs.returns.shape[1]} {task.value}: cryptofolio {mine * 1e3:.3f} ms alone"
            )
            continue
        theirs = peers.prepare(args.peer, task, inputs)
        ours()
        theirs()  # warm-up
        a: list[float] = []
        b: list[float] = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            ours()
            a.append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs()
            b.append(time.perf_counter() - start)
        mine, peer = statistics.median(a), statistics.median(b)
        print(
            f"N={inputs.returns.shape[1]} {task.value}: cryptofolio {mine * 1e3:.3f} ms, "
            f"{args.peer} {peer * 1e3:.3f} ms, ratio {peer / mine:.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
