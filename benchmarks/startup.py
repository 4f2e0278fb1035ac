"""Start-up time of the command line: ``python -m cryptofolio --version`` and ``--help`` as whole
processes (interpreter start, imports, output), the median of N runs, printed: wall-clock time
and the process's CPU time (user + system), which a shared, loaded machine inflates less.

    .venv/bin/python benchmarks/startup.py            # 15 runs of each
    .venv/bin/python benchmarks/startup.py --runs 31

Also printed: the load average (the machine may be shared) and which heavy modules the
``--help`` process imported (none is the point: commands import the library when they run).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {"--version": ["--version"], "--help": ["--help"]}
HEAVY = ("pandas", "numpy", "scipy", "cvxpy", "ccxt", "torch", "plotly", "matplotlib")


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """(wall-clock, CPU) seconds of ``runs`` runs of ``python -m cryptofolio ARGS`` (one
    warm-up run first, not counted, so the file cache is warm)."""
    command = [sys.executable, "-m", "cryptofolio", *args]
    env = {**os.environ, "COLUMNS": "100"}
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _child_cpu()
        subprocess.run(command, check=True, capture_output=True, env=env)
        wall.append(time.perf_counter() - start)
        cpu.append(_child_cpu() - start_cpu)
    return wall, cpu


def heavy_imports() -> list[str]:
    """The heavy modules that ``cryptofolio --help`` imports."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['cryptofolio', '--help']\n"
        "try:\n    runpy.run_module('cryptofolio', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("HEAVY="))
    return [m for m in line.removeprefix("HEAVY=").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command")
    runs = parser.parse_args().runs
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python -m cryptofolio, {runs} runs each, seconds; load average {load}")
    print(f"  {'':<10} {'wall median':>11} {'min':>6} {'max':>6} {'CPU median':>11}")
    for name, args in COMMANDS.items():
        wall, cpu = time_process(args, runs)
        print(
            f"  {name:<10} {statistics.median(wall):>11.3f} {min(wall):>6.3f} {max(wall):>6.3f}"
            f" {statistics.median(cpu):>11.3f}"
        )
    print(f"  heavy modules imported by --help: {', '.join(heavy_imports()) or 'none'}")


if __name__ == "__main__":
    main()
