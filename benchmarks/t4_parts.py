"""Where task T4 (Ledoit-Wolf + minimum variance) spends its time at one size, and how much
of it is cold caches.

Prints, in microseconds (medians):

* the parts, each timed back to back (caches warm): the whole cell, the estimate
  (``risk_matrix``), its Gram matrix ``X'X`` alone, the Ledoit-Wolf arithmetic around it, the
  cold optimiser call, and its active-set solve alone;
* the whole cell right after something else: after a PyPortfolioOpt T4 call (what the suite
  does), after a 32 MB copy (which flushes the caches, no library code), after a peer call and
  then a call of cryptofolio's own T4 on a 10-asset panel (code warm, data cold), after a peer
  call and then a pass over the returns (data warm), after a 10 ms busy loop and a 10 ms sleep
  (time passes, no other code runs), and back to back;
* single parts after a peer call and back to back: the estimate, the cold optimiser call, the
  Gram matrix, and the two pandas objects the API returns (the covariance DataFrame, the
  weights Series), built as the library builds them.

A script, not a test: timings depend on the machine and its load.

    .venv/bin/python benchmarks/t4_parts.py --n 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from benchmarks import peers
from benchmarks import tasks as t
from benchmarks.run_benchmarks import synthetic_inputs
from threadpoolctl import threadpool_limits

from cryptofolio._frames import float_frame, float_series
from cryptofolio.estimate import RiskModel, risk_matrix
from cryptofolio.estimate.risk_models import _ledoit_wolf_gram
from cryptofolio.optimize import Constraints, clear_warm_starts, optimize_portfolio
from cryptofolio.optimize import _active_set as active_set
from cryptofolio.optimize import _solve as solve


def _median_us(call: Callable[[], object], before: Callable[[], object] | None, k: int) -> float:
    times = []
    for _ in range(k):
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def _busy(seconds: float) -> None:
    """Spin for ``seconds`` in a loop that touches almost nothing (time passes, no other code)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="synthetic N")
    parser.add_argument("--repeats", type=int, default=40, help="calls per figure")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    inputs = synthetic_inputs(args.n)
    returns = inputs.returns
    cell = peers.prepare(peers.CRYPTOFOLIO, t.Task.T4, inputs)
    peer = peers.prepare(peers.PYPFOPT, t.Task.T4, inputs)
    small = peers.prepare(peers.CRYPTOFOLIO, t.Task.T4, synthetic_inputs(10))
    shrunk = risk_matrix(returns, RiskModel.LEDOIT_WOLF)
    x = returns.to_numpy()
    mean = x.mean(axis=0)
    problem = solve.minvar_qp(solve.make_problem(shrunk, None, Constraints(), need_mu=False))
    big = np.ones(4 * 1024 * 1024)  # 32 MB

    def cold_optimiser() -> object:
        clear_warm_starts()
        return optimize_portfolio(shrunk, None)

    k = args.repeats
    with threadpool_limits(1, user_api="blas"):  # the estimate's own setting, for the parts
        parts = {
            "cell": _median_us(cell, None, k),
            "estimate (risk_matrix)": _median_us(
                lambda: risk_matrix(returns, RiskModel.LEDOIT_WOLF), None, k
            ),
            "  Gram X'X": _median_us(lambda: x.T @ x, None, k),
            "  Ledoit-Wolf around it": _median_us(
                lambda: _ledoit_wolf_gram(x, mean, 365.0), None, k
            )
            - _median_us(lambda: x.T @ x, None, k),
            "optimiser, cold": _median_us(cold_optimiser, None, k),
            "  active-set solve": _median_us(
                lambda: active_set.solve_box_qp(problem, None), None, k
            ),
        }
    peer()
    cell()
    after = {
        "after a PyPortfolioOpt call": _median_us(cell, peer, k),
        "after a 32 MB copy": _median_us(cell, lambda: big.copy().sum(), k),
        "after a peer call, then its own 10-asset call": _median_us(
            cell, lambda: (peer(), small()), k
        ),
        "after a peer call, then a pass over the returns": _median_us(
            cell, lambda: (peer(), x.sum()), k
        ),
        "after a 10 ms busy loop (no other code)": _median_us(cell, lambda: _busy(0.01), k),
        "after a 10 ms sleep": _median_us(cell, lambda: time.sleep(0.01), k),
        "back to back": _median_us(cell, None, k),
    }
    print(f"T4 at N = {args.n}, medians in microseconds")
    for name, value in {**parts, **after}.items():
        print(f"  {name:48s} {value:8.0f}")
    # single parts, after a peer call and back to back: how much colder each one gets
    cols = returns.columns
    values = shrunk.to_numpy().copy()
    weights = values[0].copy()
    single = {
        "estimate (risk_matrix)": lambda: risk_matrix(returns, RiskModel.LEDOIT_WOLF),
        "optimiser, cold start": cold_optimiser,
        "Gram X'X": lambda: x.T @ x,
        "covariance DataFrame": lambda: float_frame(values, cols, cols),
        "weights Series": lambda: float_series(weights, cols, "weight"),
    }
    print(f"  {'one part':48s} {'after peer':>10s} {'back to back':>13s}")
    for name, part in single.items():
        cold, warm = _median_us(part, peer, k), _median_us(part, None, k)
        print(f"  {name:48s} {cold:10.0f} {warm:13.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
