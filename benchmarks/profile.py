"""Profile one benchmark cell: a task (T1..T8) of one library on one dataset, as
``run_benchmarks.py`` runs it (the same inputs and the same library adapter, :mod:`benchmarks.peers`).

The cell runs once unprofiled (a warm-up: imports, first-call set-up), then ``--calls`` times
under the profiler; the report lists the ``--top`` functions by cumulative time (cProfile) or
the call tree (pyinstrument), then the median wall time of the profiled calls (profiler overhead
included: compare only figures of the same profiler) and the process's peak resident memory
(``ru_maxrss``: interpreter, imports, inputs and the calls together).

A script, not a test: where the time goes, not a figure to quote (``run_benchmarks.py`` gives
those).

    .venv/bin/python benchmarks/profile.py --task T4 --n 50                # cProfile, top 25
    .venv/bin/python benchmarks/profile.py --task T7 --n 1000 --calls 1 --profiler pyinstrument
    .venv/bin/python benchmarks/profile.py --task T2 --n 200 --library PyPortfolioOpt --top 40
    .venv/bin/python benchmarks/profile.py --task T1 --real                # the bundled data
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder heads sys.path, where "profile" would be this file and not
# the standard library module that cProfile imports: put the repository root there instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from benchmarks import peers  # noqa: E402
from benchmarks.run_benchmarks import real_inputs, synthetic_inputs  # noqa: E402
from benchmarks.tasks import BenchInputs, Task  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", type=Task, choices=list(Task), required=True)
    parser.add_argument("--n", type=int, default=50, help="assets of the synthetic panel")
    parser.add_argument("--real", action="store_true", help="the bundled data instead")
    parser.add_argument("--library", default=peers.CRYPTOFOLIO, choices=peers.LIBRARIES)
    parser.add_argument("--calls", type=int, default=20, help="profiled calls (default 20)")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--top", type=int, default=25, help="cProfile rows shown (default 25)")
    parser.add_argument(
        "--sort", default="cumulative", help="cProfile sort key (cumulative, tottime, ...)"
    )
    return parser.parse_args(argv)


def _timed_calls(runner: peers.Runner, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        runner()
        times.append(time.perf_counter() - start)
    return times


def profile_cprofile(runner: peers.Runner, args: argparse.Namespace) -> list[float]:
    """Profile with cProfile and print the ``--top`` rows sorted by ``--sort``."""
    profiler = cProfile.Profile()
    profiler.enable()
    times = _timed_calls(runner, args.calls)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return times


def profile_pyinstrument(runner: peers.Runner, args: argparse.Namespace) -> list[float]:
    """Profile with pyinstrument (the ``bench`` extra) and print its call tree."""
    try:
        from pyinstrument import Profiler
    except ImportError as exc:
        raise SystemExit(
            'pyinstrument is in the bench extra: .venv/bin/python -m pip install -e ".[bench]"'
        ) from exc
    profiler = Profiler(interval=0.0005)
    profiler.start()
    times = _timed_calls(runner, args.calls)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    return times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    inputs: BenchInputs = real_inputs() if args.real else synthetic_inputs(args.n)
    try:
        runner = peers.prepare(args.library, args.task, inputs)
    except peers.Unsupported as exc:
        print(f"{args.library} does not run {args.task}: {exc}", file=sys.stderr)
        return 2
    runner()  # warm-up, not profiled
    profile = profile_pyinstrument if args.profiler == "pyinstrument" else profile_cprofile
    times = profile(runner, args)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    print(
        f"{args.library} {args.task} on {inputs.name} ({inputs.returns.shape[1]} assets, "
        f"{inputs.returns.shape[0]} days): median {statistics.median(times) * 1e3:.3f} ms over "
        f"{len(times)} profiled call(s), {args.profiler} overhead included; peak RSS "
        f"{peak_mb:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
