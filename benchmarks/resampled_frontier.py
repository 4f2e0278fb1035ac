"""Time Michaud's resampled frontier: 500 resamples x 50 points at N = 20 (target: under 10 s).

    PYTHONPATH=src python benchmarks/resampled_frontier.py [--n 20] [--resamples 500]

The figure is the wall time of one ``resampled_frontier`` call on a seeded synthetic panel
(benchmarks/synthetic.py, 1500 days): the classic frontier, the draws, the moments of every
sample and the exact frontier walk on each, the rank average. It excludes imports and a warm-up
call (2 resamples). Printed beside it: the time per sample frontier. A script, not a test:
timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_returns

from cryptofolio.optimize.resampled import resampled_frontier

TARGET_SECONDS = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="assets")
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--method", default="parametric", choices=["parametric", "bootstrap"])
    args = parser.parse_args(argv)
    returns = synthetic_returns(args.n)
    resampled_frontier(returns, resamples=2, points=args.points, method=args.method, seed=0)
    start = time.perf_counter()
    resampled_frontier(
        returns, resamples=args.resamples, points=args.points, method=args.method, seed=1
    )
    wall = time.perf_counter() - start
    verdict = "met" if wall < TARGET_SECONDS else "MISSED"
    print(
        f"resampled frontier, N = {args.n}, {args.resamples} {args.method} resamples x "
        f"{args.points} points: {wall:.2f} s ({1e3 * wall / args.resamples:.1f} ms per sample "
        f"frontier); target < {TARGET_SECONDS:.0f} s {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
