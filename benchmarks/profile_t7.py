"""Time, peak memory and profile of task T7 through cryptofolio's own backtester.

T7: walk-forward backtest of long-only minimum variance (annualised sample covariance of the
last ``--lookback`` daily returns), rebalanced ``--rebalance`` (default weekly), over a seeded
synthetic panel (:mod:`benchmarks.synthetic`: Student-t factor model, 60-100 % annualised
volatility) of ``--days`` rows and ``--n`` assets, via :func:`cryptofolio.backtest.run_backtest`
and ``make_strategy("min-variance")`` with the default cost model.

Each measurement runs in a fresh child process so that its peak resident memory
(``resource.getrusage(...).ru_maxrss``, which includes the interpreter and the imported
libraries) is the peak of that run alone; the baseline (after imports and after building the
panel) is printed next to it. Targets of issue 7 at N = 1000, T = 1500: under 30 s and under
1 GB.

Example
-------
    .venv/bin/python benchmarks/profile_t7.py                  # N = 1000: time + peak memory
    .venv/bin/python benchmarks/profile_t7.py --profile        # and a pyinstrument profile
    .venv/bin/python benchmarks/profile_t7.py --n 200 --days 600 --profile
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 30.0
TARGET_MEGABYTES = 1024.0


def _rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_panels(n_assets: int, n_days: int, seed: int):
    """Synthetic closes (100 * cumulative growth of the synthetic returns) as Panels; volume a
    constant 1e9 a day (so the square-root cost model is defined), no market caps."""
    import numpy as np
    import pandas as pd
    from benchmarks.synthetic import synthetic_returns

    from cryptofolio.data import Panels

    returns = synthetic_returns(n_assets, n_days, seed=seed)
    close = 100.0 * (1.0 + returns).cumprod()
    volume = pd.DataFrame(1e9, index=close.index, columns=close.columns)
    empty = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
    return Panels(close=close, volume=volume, market_cap=empty, open=close, high=close, low=close)


def run_t7(panels, rebalance: str, lookback: int):
    from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest

    config = BacktestConfig(rebalance=rebalance, lookback=lookback)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_backtest(panels, make_strategy("min-variance"), config)
    return result, caught


def child(args: argparse.Namespace) -> None:
    """One measured run; prints a JSON line."""
    panels = build_panels(args.n, args.days, args.seed)
    import cryptofolio.backtest
    import cryptofolio.optimize  # noqa: F401

    baseline = _rss_mb()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    start = time.perf_counter()
    cpu = time.process_time()
    result, caught = run_t7(panels, args.rebalance, args.lookback)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = _rss_mb()
    if profiler is not None:
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        if args.profile_out:
            Path(args.profile_out).write_text(text)
        print(text, file=sys.stderr)
    strat = next(iter(result.strategies.values()))
    kinds: dict[str, int] = {}
    for w in caught:
        kinds[w.category.__name__] = kinds.get(w.category.__name__, 0) + 1
    print(
        json.dumps(
            {
                "n": args.n,
                "days": args.days,
                "rebalance": args.rebalance,
                "lookback": args.lookback,
                "rebalances": len(strat.rebalances),
                "seconds": round(elapsed, 3),
                "cpu_seconds": round(cpu, 3),
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(peak, 1),
                "final_equity": float(strat.equity.iloc[-1]),
                "warnings": kinds,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="assets (default 1000)")
    parser.add_argument("--days", type=int, default=1500, help="rows of the panel (default 1500)")
    parser.add_argument("--lookback", type=int, default=365, help="window rows (default 365)")
    parser.add_argument("--rebalance", default="weekly", help="schedule (default weekly)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of the run")
    parser.add_argument(
        "--profile-out",
        default=None,
        help="also write the profile text to this file",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *(argv or sys.argv[1:])]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return done.returncode
    if args.profile:
        sys.stderr.write(done.stderr)
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1]
    res = json.loads(line)
    print(json.dumps(res, indent=2))
    if args.n == 1000 and args.days == 1500:
        ok_t = res["seconds"] < TARGET_SECONDS
        ok_m = res["peak_mb"] < TARGET_MEGABYTES
        print(
            f"T7 N=1000: {res['seconds']:.1f} s (target < {TARGET_SECONDS:.0f} s: "
            f"{'met' if ok_t else 'MISSED'}), peak {res['peak_mb']:.0f} MB "
            f"(target < {TARGET_MEGABYTES:.0f} MB: {'met' if ok_m else 'MISSED'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
