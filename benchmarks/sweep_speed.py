"""Speed of ``cryptofolio sweep``: serial, local processes (joblib/loky), Dask LocalCluster.

The sweep: 11 large caps of the bundled ``coingecko-daily`` data, decisions 2019-01-01 to
2023-11-30, weekly rebalancing, 10 bps fees, a grid of 200 configurations (objective x
lookback x L2 γ: 4 x 5 x 10); ``--configs N`` runs a seeded random sample of N of them.

Reports
1. wall time with 1 worker (in this process) and with 2 local processes (loky), the latter
   cold (including the start of the worker processes and their imports) and warm (the
   reusable workers of the first call);
2. the Dask path on a ``LocalCluster`` of 2 single-threaded worker processes: cluster start,
   wall time, and the overhead per task against local processes, both as
   ``(wall x workers - sum of the task times measured on the workers) / tasks``;
3. for each runner, the CPU seconds its processes spent (this process for the serial run; the
   worker processes, counted once they have exited, for the others) and the load average of
   the machine as it ended: on a shared machine a runner slower than the serial run with about
   the same CPU seconds was slowed by other work, not by its own overhead;
4. the estimated wall time with 1..8 workers on a machine with that many free cores: a
   longest-task-first schedule of the per-task times measured in (1), each task charged the
   Dask overhead per task measured in (2). An estimate, not a measurement: it assumes every
   worker has a core of its own and the tasks do not slow each other down.

Run:  .venv/bin/python benchmarks/sweep_speed.py [--configs 200] [--output FILE]
"""

from __future__ import annotations

import argparse
import heapq
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

ASSETS = ["BTC", "ETH", "BNB", "XRP", "ADA", "SOL", "DOGE", "LTC", "LINK", "TRX", "BCH"]
GRID = {
    "objective": ["min-variance", "max-sharpe", "max-utility", "equal-weight"],
    "lookback": [60, 90, 180, 270, 365],
    "l2": [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0],
}


def spec_for(n_configs: int):
    from cryptofolio.backtest import BacktestConfig, SweepSpec

    base = BacktestConfig(start="2019-01-01", end="2023-11-30", on_failure="hold")
    if n_configs >= 200:
        return SweepSpec(GRID, backtest=base)
    return SweepSpec(GRID, backtest=base, sampling="random", samples=n_configs, seed=0)


def lpt_makespan(times: list[float], workers: int) -> float:
    """Longest-task-first schedule of ``times`` on ``workers``: the finishing time."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads)


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds of this process (``resource.RUSAGE_SELF``) or of its exited,
    waited-for descendants (``resource.RUSAGE_CHILDREN``)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def timed(label, fn):
    began = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - began


def local_processes(spec, panels, wall1: float, cpu: float, out):
    """Two local processes (loky), cold then warm: the warm result and its overhead per task."""
    from joblib.externals.loky import get_reusable_executor

    from cryptofolio.backtest import run_sweep

    children = cpu_seconds(resource.RUSAGE_CHILDREN)
    _cold, wall2c = timed("loky", lambda: run_sweep(spec, panels, workers=2))
    procs_warm, wall2w = timed("loky", lambda: run_sweep(spec, panels, workers=2))
    get_reusable_executor().shutdown(wait=True)  # the workers exit: their CPU time is counted
    children = cpu_seconds(resource.RUSAGE_CHILDREN) - children
    loky_tasks = sum(r.seconds for r in procs_warm.runs.values())
    loky_overhead = (wall2w * 2 - loky_tasks) / spec.size
    out(
        f"2 local processes (loky): wall {wall2c:.1f} s cold (worker start included), "
        f"{wall2w:.1f} s warm; speed-up warm {wall1 / wall2w:.2f}x; "
        f"overhead per task {loky_overhead * 1e3:.0f} ms; workers' CPU for both runs "
        f"{children:.1f} s (against {2 * cpu:.1f} s for two serial runs); {load()}"
    )
    return procs_warm, loky_overhead


def dask_cluster(spec, panels, loky_overhead: float, out):
    """A LocalCluster of 2 single-threaded workers: the result and its overhead per task."""
    from dask.distributed import Client, LocalCluster

    from cryptofolio.backtest import run_sweep

    children = cpu_seconds(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter() - began
        client.run(lambda: __import__("cryptofolio.backtest.sweep"))  # imports, not timed
        on_dask, wall_d = timed("dask", lambda: run_sweep(spec, panels, dask=client))
    children = cpu_seconds(resource.RUSAGE_CHILDREN) - children
    dask_tasks = sum(r.seconds for r in on_dask.runs.values())
    dask_overhead = (wall_d * 2 - dask_tasks) / spec.size
    out(
        f"Dask LocalCluster, 2 workers x 1 thread: cluster start {start:.1f} s; wall "
        f"{wall_d:.1f} s; overhead per task {dask_overhead * 1e3:.0f} ms against "
        f"{loky_overhead * 1e3:.0f} ms for local processes "
        f"(difference {(dask_overhead - loky_overhead) * 1e3:+.0f} ms); workers' CPU "
        f"{children:.1f} s (cluster start and imports included); {load()}"
    )
    return on_dask, dask_overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", type=int, default=200)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    from cryptofolio.backtest import run_sweep
    from cryptofolio.data import load_dataset, to_panels

    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    panels = to_panels(load_dataset("coingecko-daily", symbols=ASSETS, end="2023-11-30"))
    spec = spec_for(args.configs)
    n = spec.size
    out(f"sweep_speed: {n} configurations, {len(ASSETS)} assets, 2019-01-01..2023-11-30 weekly")
    out(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )

    out(f"at start: {load()}")
    cpu = cpu_seconds(resource.RUSAGE_SELF)
    serial, wall1 = timed("serial", lambda: run_sweep(spec, panels))
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu
    task = [r.seconds for r in serial.runs.values()]
    out(
        f"1 worker (this process): wall {wall1:.1f} s; task time sum {sum(task):.1f} s, "
        f"median {np.median(task) * 1e3:.0f} ms, max {max(task) * 1e3:.0f} ms; "
        f"CPU {cpu:.1f} s; {load()}"
    )

    procs_warm, loky_overhead = local_processes(spec, panels, wall1, cpu, out)
    on_dask, dask_overhead = dask_cluster(spec, panels, loky_overhead, out)
    same = serial.configurations.equals(on_dask.configurations) and serial.configurations.equals(
        procs_warm.configurations
    )
    out(f"results identical across the three runners: {same}")

    out("estimated wall time with W workers (LPT schedule of the measured task times, each")
    out(f"charged the Dask overhead {max(dask_overhead, 0) * 1e3:.0f} ms; an estimate):")
    for w in range(1, 9):
        est = lpt_makespan([t + max(dask_overhead, 0.0) for t in task], w)
        out(f"  W={w}: {est:7.1f} s  (speed-up {sum(task) / est:4.2f}x over the serial task sum)")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
