"""cryptofolio against PyPortfolioOpt, Riskfolio-Lib, skfolio and cvxportfolio: tasks T1..T8.

A script, not a test. For each dataset (bundled real daily data, and seeded synthetic panels of
T = 1500 days for each N in --sizes) and each task, every library runs on identical inputs,
interleaved round-robin (the order rotates every round): one warm-up call, then --repeats
timed rounds (time.perf_counter; more, up to --max-repeats, while every library has spent less
than --min-time seconds on the cell), stopping early once a library has spent --budget seconds
on the cell. The median is reported with the ratio peer / cryptofolio and the agreement of the
solutions (objective relative difference and max weight difference, judged by independent
NumPy evaluators in tasks.py). A peer whose time at the previous size predicts more than
--max-call seconds per call at the next size is skipped there with a note.

Results go to benchmarks/results/<date>-<host>.md and .json with machine, versions and date.

Example
-------
    .venv/bin/python benchmarks/run_benchmarks.py                 # full run (all sizes, tasks)
    .venv/bin/python benchmarks/run_benchmarks.py --quick         # a few minutes
    .venv/bin/python benchmarks/run_benchmarks.py --sizes 50,200 --tasks T1,T2 --repeats 9
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import peers, revision  # noqa: E402
from benchmarks import tasks as t  # noqa: E402
from benchmarks.synthetic import synthetic_returns  # noqa: E402
from benchmarks.tasks import BenchInputs, Task  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
REAL_WINDOW = ("2019-01-01", "2021-10-17")
SYNTHETIC_DAYS = 1500

# Speed targets of the issue: minimum speedup over the fastest peer, for N in TARGET_SIZES.
TARGET_SPEEDUP = {Task.T1: 10, Task.T2: 10, Task.T3: 30, Task.T4: 10, Task.T6: 5, Task.T7: 10}
TARGET_SPEEDUP[Task.T5] = 5
TARGET_SPEEDUP[Task.T8] = 10
TARGET_SIZES = (50, 200, 1000)
AGREEMENT_TARGET = 1e-6
T7_MAX_SECONDS_N1000 = 30.0
T7_MAX_MEMORY_MB_N1000 = 1024.0
# A library is skipped at size N when (CPU time at the previous size) * (N / N_prev) ** this
# exceeds --max-call: per-step overhead dominates small N, dense algebra (N^2..N^3) large N.
SCALING_EXPONENT = 1.5


# ----------------------------------------------------------------------------- inputs


def real_inputs() -> BenchInputs:
    """Bundled CoinGecko daily closes over REAL_WINDOW: the non-stablecoin assets with a price on
    every day of the window (no filling, no dropping of days)."""
    from cryptofolio.data import load_dataset, to_panels
    from cryptofolio.data.symbols import is_stablecoin

    close = to_panels(load_dataset("coingecko-daily")).close
    window = close.loc[REAL_WINDOW[0] : REAL_WINDOW[1]]
    full = [c for c in window.columns if window[c].notna().all() and not is_stablecoin(c)]
    returns = (window[full] / window[full].shift(1) - 1.0).iloc[1:]
    return t.make_inputs(f"coingecko-daily {REAL_WINDOW[0]}..{REAL_WINDOW[1]}", returns)


def synthetic_inputs(n: int) -> BenchInputs:
    return t.make_inputs(f"synthetic N={n}", synthetic_returns(n, SYNTHETIC_DAYS, seed=7))


# ----------------------------------------------------------------------------- measuring


@dataclass
class Cell:
    """One library on one task and dataset."""

    dataset: str
    n_assets: int
    n_days: int
    task: str
    library: str
    median_s: float | None = None
    times_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # process CPU time, all threads
    median_cpu_s: float | None = None
    warmup_s: float | None = None
    # back to back: each timed call right after a call of the same library (see measure_warm)
    warm_s: float | None = None
    warm_times_s: list[float] = field(default_factory=list)
    ratio: float | None = None  # library time / cryptofolio time
    objective: float | None = None
    objective_delta: float | None = None  # how much worse than the reference (relative, signed)
    max_weight_diff: float | None = None
    note: str = ""
    feasible: bool = True  # constraints hold within 1e-7 (tasks.check_weights)


def _run_once(runner: peers.Runner) -> tuple[float, float, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu = time.process_time()
        start = time.perf_counter()
        solution = runner()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return elapsed, cpu, np.asarray(solution, dtype=float)


def measure(
    runners: dict[str, peers.Runner],
    cells: dict[str, Cell],
    repeats: int,
    budget_s: float,
    max_repeats: int | None = None,
    min_time_s: float = 0.0,
) -> dict[str, np.ndarray]:
    """Warm-up round then interleaved timed rounds; fills ``cells``; returns the solutions.

    ``repeats`` rounds at least; then more, up to ``max_repeats``, while every library has
    spent less than ``min_time_s`` on the cell (fast cells get steadier medians at little
    cost; no library is favoured: the rounds stay interleaved and every library runs in each)."""
    solutions: dict[str, np.ndarray] = {}
    spent: dict[str, float] = {}
    active = []
    for name, runner in runners.items():
        try:
            elapsed, cpu, sol = _run_once(runner)
        except NotImplementedError:
            cells[name].note = "not implemented yet (NotImplementedError)"
            continue
        except Exception as exc:  # a peer failing is a result, not a crash of the suite
            cells[name].note = f"failed: {type(exc).__name__}: {str(exc)[:160]}"
            continue
        cells[name].warmup_s = elapsed
        cells[name].median_cpu_s = cpu
        solutions[name] = sol
        spent[name] = elapsed
        active.append(name)
    for round_no in range(max(repeats, max_repeats or 0)):
        if round_no >= repeats and (not spent or max(spent.values()) >= min_time_s):
            break
        order = active[round_no % max(1, len(active)) :] + active[: round_no % max(1, len(active))]
        ran = False
        for name in order:
            if spent[name] >= budget_s:
                continue
            try:
                elapsed, cpu, sol = _run_once(runners[name])
            except Exception as exc:
                cells[name].note = f"failed on repeat: {type(exc).__name__}: {str(exc)[:120]}"
                continue
            cells[name].times_s.append(elapsed)
            cells[name].cpu_s.append(cpu)
            solutions[name] = sol
            spent[name] += elapsed
            ran = True
        if not ran:
            break
    for name in active:
        cell = cells[name]
        if cell.times_s:
            cell.median_s = statistics.median(cell.times_s)
            cell.median_cpu_s = statistics.median(cell.cpu_s)
        elif cell.warmup_s is not None:
            cell.median_s = cell.warmup_s
            cell.note = (cell.note + "; " if cell.note else "") + "single cold run (over budget)"
    return solutions


def measure_warm(
    runners: dict[str, peers.Runner], cells: dict[str, Cell], rounds: int, limit_s: float
) -> None:
    """Back-to-back timings, after the interleaved ones: ``rounds`` rounds, the order rotating;
    in each, every library whose median call took less than ``limit_s`` makes two calls in a
    row and the second is timed (its caches warm from its own call, as in a loop of solves,
    instead of cold from another library's). Fills ``Cell.warm_s``; the verdicts use the
    interleaved medians."""
    active = [n for n in runners if cells[n].median_s is not None and cells[n].median_s < limit_s]
    for round_no in range(rounds):
        k = round_no % max(1, len(active))
        for name in active[k:] + active[:k]:
            try:
                _run_once(runners[name])
                elapsed, _, _ = _run_once(runners[name])
            except Exception:  # already reported by the interleaved rounds
                continue
            cells[name].warm_times_s.append(elapsed)
    for name in active:
        if cells[name].warm_times_s:
            cells[name].warm_s = statistics.median(cells[name].warm_times_s)


def agreement(task: Task, inputs: BenchInputs, sols: dict[str, np.ndarray], cells: dict) -> None:
    """Objective of each solution (independent evaluators) and its gap to the reference
    (cryptofolio when it ran, else the best peer)."""
    sols = {k: v for k, v in sols.items() if k != peers.FLOOR}
    if not sols:
        return
    for name, sol in sols.items():
        broken = t.check_weights(task, sol)
        if broken:
            cells[name].feasible = False
            cells[name].note = (cells[name].note + "; " if cells[name].note else "") + broken
    if task is Task.T3:
        ref_name = peers.CRYPTOFOLIO if peers.CRYPTOFOLIO in sols else next(iter(sols))
        for name, sol in sols.items():
            gap, row = t.frontier_gaps(sol, sols[ref_name], inputs)
            cells[name].objective_delta = gap
            if ref_name == peers.CRYPTOFOLIO and row is not None and gap < -1e-7:
                exact = _exact_frontier_gap(sol[row], inputs)
                if exact is not None:
                    cells[name].objective_delta = exact
                    extra = "gap re-checked with an exact cryptofolio solve"
                    cells[name].note = (cells[name].note + "; " if cells[name].note else "") + extra
            if sol.shape == sols[ref_name].shape:
                cells[name].max_weight_diff = float(np.max(np.abs(sol - sols[ref_name])))
            if len(sol) != t.FRONTIER_POINTS:
                extra = f"{len(sol)} of {t.FRONTIER_POINTS} points solved"
                cells[name].note = (cells[name].note + "; " if cells[name].note else "") + extra
        return
    if task is Task.T5:  # an allocation rule: the same weights, no objective to compare
        ref_name = peers.CRYPTOFOLIO if peers.CRYPTOFOLIO in sols else next(iter(sols))
        for name, sol in sols.items():
            cells[name].max_weight_diff = float(np.max(np.abs(sol - sols[ref_name])))
        return
    if task is Task.T7:
        k = min(len(s) for s in sols.values())
        sols = {name: s[:k] for name, s in sols.items()}
    sense = t.OBJECTIVE_SENSE[task]
    values = {name: t.objective(task, sol, inputs) for name, sol in sols.items()}
    if peers.CRYPTOFOLIO in values:
        ref_name = peers.CRYPTOFOLIO
    else:
        ref_name = min(values, key=lambda n: sense * values[n])
    ref = values[ref_name]
    for name, value in values.items():
        cell = cells[name]
        cell.objective = value
        cell.objective_delta = sense * (value - ref) / abs(ref) if ref else None
        cell.max_weight_diff = float(np.max(np.abs(sols[name] - sols[ref_name])))


def _exact_frontier_gap(w_peer: np.ndarray, inputs: BenchInputs) -> float | None:
    """Peer point's volatility over cryptofolio's efficient-return volatility at the same return
    (untimed; replaces the interpolation bound where the peer point looks better)."""
    from cryptofolio.optimize import Objective, optimize_portfolio

    mu, cov = inputs.mu, inputs.cov
    target = float(w_peer @ mu.to_numpy())
    try:
        res = optimize_portfolio(
            cov, mu, objective=Objective.EFFICIENT_RETURN, target_return=target
        )
    except Exception:
        return None
    w_cf = res.weights.reindex(mu.index).to_numpy()
    c = cov.to_numpy()
    return float(np.sqrt(w_peer @ c @ w_peer) / np.sqrt(w_cf @ c @ w_cf) - 1.0)


# ----------------------------------------------------------------------------- T7 memory


def _status_mb(field_name: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def memory_probe(n: int) -> None:
    """Child process: cryptofolio's T7 at N = n once; prints a JSON line with the peak RSS.

    ``ru_maxrss`` survives ``exec`` on Linux (the child would report the parent's peak), so
    the peak is read from ``VmHWM``, reset after the data is built (``clear_refs``), and
    cross-checked with tracemalloc's peak of Python/NumPy allocations during the run.
    """
    import tracemalloc

    inputs = synthetic_inputs(n)
    runner = peers.prepare(peers.CRYPTOFOLIO, Task.T7, inputs)
    before = _status_mb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    tracemalloc.start()
    start = time.perf_counter()
    runner()
    elapsed = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {
        "n": n,
        "seconds": elapsed,
        "rss_before_mb": before,
        "peak_rss_mb": _status_mb("VmHWM") if reset else None,
        "peak_traced_alloc_mb": traced_peak / 1024**2,
        "note": "seconds include tracemalloc overhead",
    }
    print(json.dumps(out))


def run_memory_probe(n: int, timeout_s: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-probe", str(n)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {"n": n, "note": f"timed out after {timeout_s:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
        return {"n": n, "note": f"failed: {tail[0][:200]}"}
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- machine


def git_state() -> dict:
    """HEAD commit and the uncommitted files under src/ (the tree is shared and moves)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip()

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "dirty_src": git("status", "--short", "--", "src").splitlines(),
    }


def machine_info() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
    }


# ----------------------------------------------------------------------------- output


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f}x"


def _fmt_target(x: int | None) -> str:
    return f"{x}x" if x else "-"


def _fmt_e(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:+.1e}"


def summary_rows(cells: list[Cell]) -> list[dict]:
    """Per (dataset, task): cryptofolio vs the fastest peer, target and agreement."""
    rows = []
    keys = []
    for c in cells:
        key = (c.dataset, c.n_assets, c.task)
        if key not in keys:
            keys.append(key)
    for dataset, n, task in keys:
        group = [c for c in cells if (c.dataset, c.n_assets, c.task) == (dataset, n, task)]
        cf = next((c for c in group if c.library == peers.CRYPTOFOLIO), None)
        timed_peers = [c for c in group if c.library in peers.PEERS and c.median_s is not None]
        fastest = min(timed_peers, key=lambda c: c.median_s) if timed_peers else None
        floor = next((c for c in group if c.library == peers.FLOOR), None)
        earlier = next((c for c in group if c.library.startswith(revision.LABEL_PREFIX)), None)
        speedup = fastest.median_s / cf.median_s if fastest and cf and cf.median_s else None
        # back to back, against the same (interleaved-fastest) peer
        warm_speedup = (
            fastest.warm_s / cf.warm_s if fastest and cf and fastest.warm_s and cf.warm_s else None
        )
        cpu_speedup = (
            fastest.median_cpu_s / cf.median_cpu_s
            if fastest and cf and cf.median_cpu_s and fastest.median_cpu_s
            else None
        )
        target = TARGET_SPEEDUP.get(Task(task))
        applies = target is not None and dataset.startswith("synthetic") and n in TARGET_SIZES
        # agreement: how much worse cryptofolio is than the best peer (positive = worse)
        gap = None
        if cf is not None and timed_peers:
            deltas = [
                c.objective_delta
                for c in timed_peers
                if c.objective_delta is not None and c.feasible
            ]
            if deltas and cf.objective_delta is not None:
                gap = max(0.0, -min(deltas))
        rows.append(
            {
                "dataset": dataset,
                "n": n,
                "task": task,
                "cryptofolio_s": cf.median_s if cf else None,
                "fastest_peer": fastest.library if fastest else None,
                "fastest_peer_s": fastest.median_s if fastest else None,
                "speedup": speedup,
                "cpu_speedup": cpu_speedup,
                "warm_speedup": warm_speedup,
                "target": target if applies else None,
                "met": (speedup >= target) if applies and speedup is not None else None,
                "cf_gap_vs_best_peer": gap,
                "floor_s": floor.median_s if floor else None,
                "cf_note": cf.note if cf else "",
                **_before_fields(earlier, cf, fastest),
            }
        )
    return rows


def _before_fields(earlier: Cell | None, cf: Cell | None, fastest: Cell | None) -> dict:
    """The earlier revision's time, its speedup over the same fastest peer, and how far its
    answers are from the current code's (max abs weight difference, relative objective)."""
    if earlier is None or not earlier.median_s:
        return {}
    speedup = fastest.median_s / earlier.median_s if fastest else None
    return {
        "before": earlier.library,
        "before_s": earlier.median_s,
        "before_speedup": speedup,
        "after_over_before": earlier.median_s / cf.median_s if cf and cf.median_s else None,
        "before_weight_diff": earlier.max_weight_diff,
        "before_objective_delta": earlier.objective_delta,
    }


def write_markdown(path: Path, meta: dict, cells: list[Cell], summary: list[dict]) -> None:
    m = meta["machine"]
    lines = [
        f"# Benchmark results {meta['date']} on {m['host']}",
        "",
        f"- Command: `{meta['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gb']} GB RAM, {m['platform']}, Python {m['python']}",
        f"- Load average at start {m['load_average_start']}, at end {m.get('load_average_end')}"
        " (the machine is shared: figures are noisy when the load is above the core count).",
        f"- Wall time of the run: {meta['wall_s']:.0f} s; repeats {meta['repeats']} (up to "
        f"{meta.get('max_repeats', meta['repeats'])} while every library has spent less than "
        f"{meta.get('min_time_s', 0)} s on the cell), budget {meta['budget_s']} s per cell, "
        f"max predicted call {meta['max_call_s']} s.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- Code: git {meta.get('git', {}).get('head', '?')}; uncommitted under src/: "
        f"{', '.join(meta.get('git', {}).get('dirty_src', [])) or 'none'}",
        "",
        "Times are wall-clock medians after one warm-up call, the libraries called in turn "
        "(CPU: median process CPU time, all threads, less sensitive to other jobs on the "
        "machine); the speedups, targets and verdicts use these. Back to back: the median of "
        "a library's call right after its own previous call (caches warm, as in a loop of "
        "solves), for libraries whose median is below the --warm-limit; ratio = library time / cryptofolio time "
        "(above 1: cryptofolio faster). Objective delta = how much worse the library's solution "
        "is than cryptofolio's, relative (negative: better than cryptofolio), evaluated by "
        "independent NumPy code; T3 compares frontier volatilities at equal return "
        "(interpolation bound, re-checked by an exact cryptofolio solve where a peer point looks "
        "better). The summary's gap ignores peer solutions that break a constraint by more than "
        "1e-7 (noted per cell). `numpy floor` is the closed-form *unconstrained* "
        "problem (see tasks.py).",
        "",
    ]
    for note in meta["notes"]:
        lines.append(f"- {note}")
    lines += ["", "## Summary: cryptofolio vs the fastest peer", ""]
    lines.append(
        "| dataset | N | task | cryptofolio | fastest peer | peer time | speedup | CPU speedup "
        "| back-to-back speedup | target | met | cf objective gap vs best peer | numpy floor |"
    )
    lines.append("|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in summary:
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        lines.append(
            f"| {r['dataset']} | {r['n']} | {r['task']} {t.TASK_TITLES[Task(r['task'])]} "
            f"| {_fmt_s(r['cryptofolio_s'])} | {r['fastest_peer'] or '-'} "
            f"| {_fmt_s(r['fastest_peer_s'])} | {_fmt_ratio(r['speedup'])} "
            f"| {_fmt_ratio(r['cpu_speedup'])} | {_fmt_ratio(r.get('warm_speedup'))} "
            f"| {_fmt_target(r['target'])} | {met} "
            f"| {_fmt_e(r['cf_gap_vs_best_peer'])} | {_fmt_s(r['floor_s'])} |"
        )
    lines += _before_after_lines(summary)
    if meta.get("memory"):
        mem = meta["memory"]
        lines += [
            "",
            "## T7 at N = 1000: time and peak memory (separate process)",
            "",
            f"`{json.dumps(mem)}` (targets: under {T7_MAX_SECONDS_N1000:.0f} s and "
            f"{T7_MAX_MEMORY_MB_N1000:.0f} MB peak RSS; `peak_rss_mb` is the whole process "
            "during the run, `peak_traced_alloc_mb` what Python/NumPy allocated at most)",
        ]
    lines += ["", "## All cells", ""]
    lines.append(
        "| dataset | N | task | library | median | CPU | runs | back to back | ratio | objective "
        "| obj. delta | max abs weight diff | note |"
    )
    lines.append("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in cells:
        lines.append(
            f"| {c.dataset} | {c.n_assets} | {c.task} | {c.library} | {_fmt_s(c.median_s)} "
            f"| {_fmt_s(c.median_cpu_s)} "
            f"| {len(c.times_s)} | {_fmt_s(c.warm_s)} | {_fmt_ratio(c.ratio)} "
            f"| {'-' if c.objective is None else f'{c.objective:.6g}'} "
            f"| {_fmt_e(c.objective_delta)} | {_fmt_e(c.max_weight_diff)} | {c.note} |"
        )
    path.write_text("\n".join(lines) + "\n")


def _before_after_lines(summary: list[dict]) -> list[str]:
    """The before/after table of a ``--before`` run (empty otherwise)."""
    rows = [r for r in summary if r.get("before_s")]
    if not rows:
        return []
    lines = [
        "",
        f"## Before/after: {rows[0]['before']} against the current code, same run",
        "",
        "Both speedups are over the same fastest peer of the cell, timed interleaved in this "
        "run. Verdict: at N = 200 and 1000 the current code must meet the target; at N = 50 it "
        "may lose at most a third of the earlier ratio. Weight diff: max abs difference of the "
        "two revisions' weights (every portfolio of the cell); objective delta: relative, "
        "independent NumPy evaluator.",
        "",
        "| dataset | N | task | before | after | before speedup | after speedup | after/before "
        "speed | target | verdict | weight diff | objective delta |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['n']} | {r['task']} | {_fmt_s(r['before_s'])} "
            f"| {_fmt_s(r['cryptofolio_s'])} | {_fmt_ratio(r['before_speedup'])} "
            f"| {_fmt_ratio(r['speedup'])} | {_fmt_ratio(r['after_over_before'])} "
            f"| {_fmt_target(r['target'])} | {_before_after_verdict(r)} "
            f"| {_fmt_e(r['before_weight_diff'])} | {_fmt_e(r['before_objective_delta'])} |"
        )
    return lines


def _before_after_verdict(row: dict) -> str:
    if row["target"] is None or row["speedup"] is None:
        return "-"
    if row["n"] == 50 and row.get("before_speedup"):
        ok = row["speedup"] >= (2.0 / 3.0) * row["before_speedup"]
        return "yes" if ok else "**no** (lost more than a third)"
    return "yes" if row["met"] else "**no** (target missed)"


def print_table(summary: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cryptofolio vs fastest peer (median times)")
    for col in ("dataset", "N", "task", "cryptofolio", "fastest peer", "peer", "speedup"):
        table.add_column(col, justify="right" if col in ("N", "speedup") else "left")
    table.add_column("target")
    table.add_column("gap vs best peer", justify="right")
    for r in summary:
        met = r["met"]
        speed = _fmt_ratio(r["speedup"])
        if met is not None:
            speed = f"[{'green' if met else 'red'}]{speed}[/]"
        table.add_row(
            r["dataset"],
            str(r["n"]),
            r["task"],
            _fmt_s(r["cryptofolio_s"]),
            r["fastest_peer"] or "-",
            _fmt_s(r["fastest_peer_s"]),
            speed,
            f"{r['target']}x" if r["target"] else "-",
            _fmt_e(r["cf_gap_vs_best_peer"]),
        )
    Console().print(table)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: .venv/bin/python benchmarks/run_benchmarks.py --quick",
    )
    parser.add_argument("--sizes", default=None, help="synthetic N values, e.g. 10,50,200,1000")
    parser.add_argument("--tasks", default=None, help="tasks to run, e.g. T1,T2,T7")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls after warm-up")
    parser.add_argument("--budget", type=float, default=None, help="seconds per library per cell")
    parser.add_argument(
        "--max-repeats",
        type=int,
        default=None,
        help="more rounds than --repeats, up to this many, while every library has spent less "
        "than --min-time seconds on the cell (default 25; --quick: --repeats)",
    )
    parser.add_argument(
        "--min-time", type=float, default=1.0, help="see --max-repeats (seconds, default 1)"
    )
    parser.add_argument(
        "--warm-rounds",
        type=int,
        default=5,
        help="back-to-back rounds after the interleaved ones (0: none), see measure_warm",
    )
    parser.add_argument(
        "--warm-limit",
        type=float,
        default=2.0,
        help="back-to-back rounds only for libraries whose median call is below this (seconds)",
    )
    parser.add_argument(
        "--max-call",
        type=float,
        default=None,
        help="skip a library at size N when its CPU time at the previous size predicts a call "
        "longer than this (seconds)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--no-real", action="store_true", help="skip the bundled real dataset")
    parser.add_argument("--no-memory", action="store_true", help="skip the T7 memory probe")
    parser.add_argument("--libraries", default=None, help="subset, e.g. cryptofolio,skfolio")
    parser.add_argument("--output", default=None, help="results file stem (default date-host)")
    parser.add_argument(
        "--before",
        default=None,
        help="also time cryptofolio as it was at this git revision, in the same run "
        "(benchmarks/revision.py): the summary reports both speedups and the answers' difference",
    )
    parser.add_argument("--memory-probe", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rerender", default=None, help="rewrite the .md of an existing results .json and exit"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [
        int(x) for x in (args.sizes or ("10,50" if quick else "10,50,200,1000")).split(",")
    ]
    all_tasks = ",".join(x.value for x in Task)
    args.tasks = [Task(x.strip().upper()) for x in (args.tasks or all_tasks).split(",")]
    args.repeats = args.repeats if args.repeats is not None else (3 if quick else 5)
    args.budget = args.budget if args.budget is not None else (2.0 if quick else 15.0)
    if args.max_repeats is None:
        args.max_repeats = args.repeats if quick else 25
    args.max_call = args.max_call if args.max_call is not None else (5.0 if quick else 240.0)
    args.libraries = args.libraries.split(",") if args.libraries else peers.LIBRARIES
    return args


def _floor_runner(task: Task, inputs: BenchInputs) -> peers.Runner | None:
    cov = inputs.cov.to_numpy()
    mu = inputs.mu.to_numpy()
    if task is Task.T1:
        return lambda: t.min_variance_unconstrained(cov)
    if task is Task.T2:
        return lambda: t.tangency_unconstrained(cov, mu)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_probe:
        memory_probe(args.memory_probe)
        return 0
    if args.rerender:
        path = Path(args.rerender)
        data = json.loads(path.read_text())
        cells = [Cell(**c) for c in data["cells"]]
        summary = summary_rows(cells)
        data["summary"] = summary
        path.write_text(json.dumps(data, indent=1))
        write_markdown(path.with_suffix(".md"), data["meta"], cells, summary)
        print_table(summary)
        return 0
    from rich.console import Console

    console = Console()
    started = time.perf_counter()
    before = revision.Revision(args.before) if args.before else None
    if before is not None:
        args.libraries = [*args.libraries, before.label]
    meta: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python", "benchmarks/run_benchmarks.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "versions": peers.library_versions(),
        "git": git_state(),
        "repeats": args.repeats,
        "max_repeats": args.max_repeats,
        "min_time_s": args.min_time,
        "budget_s": args.budget,
        "max_call_s": args.max_call,
        "notes": [
            "Machine shared with other jobs during the run: check the load averages above.",
            "Real data: bundled coingecko-daily, the non-stablecoin assets with a close on every "
            f"day of {REAL_WINDOW[0]}..{REAL_WINDOW[1]} (stablecoins excluded: min variance would "
            "just hold them).",
            "Synthetic: 5-factor model, Student-t shocks, annualised vols 60-100 %, T = 1500 days, "
            "seed 7 (benchmarks/synthetic.py).",
            "T5 (HRP) has no scalar objective: agreement is the largest weight difference to "
            "cryptofolio's (column max |dw|); every library starts from the daily returns.",
            "cryptofolio solves cold on every call (warm starts live in a WarmStarts object "
            "the caller owns; a plain call has none), as a peer does; `cryptofolio (warm "
            "repeat)` rows keep one WarmStarts across calls (re-solving the identical problem) "
            "and are not used for ratios or targets. An earlier revision timed with --before "
            "(benchmarks/revision.py) is called as the benchmark called it then, its "
            "process-wide cache cleared before every call.",
            "T7 for PyPortfolioOpt and Riskfolio-Lib is a loop over the rebalance dates "
            "(estimate, solve) plus the same NumPy drift simulation; skfolio uses its "
            "cross_val_predict + WalkForward (drops the final partial week: agreement is computed "
            "on the common rebalances).",
            *peers.NOTES.values(),
        ],
    }
    datasets: list[tuple[str, object]] = []
    if not args.no_real:
        datasets.append(("real", real_inputs))
    for n in sorted(args.sizes):
        datasets.append(("synthetic", lambda n=n: synthetic_inputs(n)))

    cells: list[Cell] = []
    last_time: dict[tuple[str, str], tuple[int, float]] = {}
    for kind, make in datasets:
        inputs = make()
        console.print(f"[bold]{inputs.name}[/]: N={inputs.n_assets}, T={inputs.n_days}")
        for task in args.tasks:
            row_cells = {}
            runners: dict[str, peers.Runner] = {}
            for lib in args.libraries:
                cell = Cell(inputs.name, inputs.n_assets, inputs.n_days, task.value, lib)
                try:
                    runner = (
                        before.prepare(task, inputs)
                        if before is not None and lib == before.label
                        else peers.prepare(lib, task, inputs)
                    )
                except (peers.Unsupported, revision.Unsupported):
                    continue  # not a row: listed in the notes
                except Exception as exc:
                    cell.note = f"prepare failed: {type(exc).__name__}: {exc}"
                    row_cells[lib] = cell
                    continue
                row_cells[lib] = cell
                prev = last_time.get((task.value, lib)) if kind == "synthetic" else None
                if prev is not None:
                    n_prev, secs = prev
                    predicted = secs * (inputs.n_assets / n_prev) ** SCALING_EXPONENT
                    if predicted > args.max_call:
                        cell.note = (
                            f"skipped: {_fmt_s(secs)} CPU per call at N={n_prev} predicts "
                            f"~{_fmt_s(predicted)} (> --max-call {args.max_call:.0f} s)"
                        )
                        continue
                runners[lib] = runner
            floor_runner = _floor_runner(task, inputs)
            if floor_runner is not None:
                runners[peers.FLOOR] = floor_runner
                row_cells[peers.FLOOR] = Cell(
                    inputs.name,
                    inputs.n_assets,
                    inputs.n_days,
                    task.value,
                    peers.FLOOR,
                    note="closed form, unconstrained (easier problem)",
                )
            console.print(f"  {task.value} {t.TASK_TITLES[task]}: {', '.join(runners)}")
            try:
                sols = measure(
                    runners,
                    row_cells,
                    args.repeats,
                    args.budget,
                    max_repeats=args.max_repeats,
                    min_time_s=args.min_time,
                )
                if args.warm_rounds:
                    measure_warm(runners, row_cells, args.warm_rounds, args.warm_limit)
                agreement(task, inputs, sols, row_cells)
            except Exception:
                console.print(traceback.format_exc())
            cf = row_cells.get(peers.CRYPTOFOLIO)
            for lib, cell in row_cells.items():
                if cf is not None and cf.median_s and cell.median_s:
                    cell.ratio = cell.median_s / cf.median_s
                if cell.median_cpu_s is not None and kind == "synthetic":
                    last_time[(task.value, lib)] = (inputs.n_assets, cell.median_cpu_s)
                console.print(
                    f"    {lib:<16} {_fmt_s(cell.median_s):>10} {_fmt_ratio(cell.ratio):>8} "
                    f"obj {_fmt_e(cell.objective_delta)} dw {_fmt_e(cell.max_weight_diff)} "
                    f"{cell.note}"
                )
                cells.append(cell)

    if not args.no_memory and Task.T7 in args.tasks and 1000 in args.sizes:
        console.print("T7 memory probe at N=1000 (subprocess)...")
        meta["memory"] = run_memory_probe(1000, timeout_s=max(120.0, 4 * args.max_call))
        console.print(meta["memory"])

    meta["wall_s"] = time.perf_counter() - started
    meta["machine"]["load_average_end"] = list(os.getloadavg())
    summary = summary_rows(cells)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = args.output or (
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d") + "-" + platform.node().split(".")[0]
    )
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps(
            {"meta": meta, "summary": summary, "cells": [asdict(c) for c in cells]}, indent=1
        )
    )
    write_markdown(RESULTS_DIR / f"{stem}.md", meta, cells, summary)
    print_table(summary)
    console.print(f"wrote {RESULTS_DIR / stem}.md and .json in {meta['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
