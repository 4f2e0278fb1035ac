"""Batched gradient engine against the exact solver looped: B bootstrap min-variance portfolios.

    PYTHONPATH=src python benchmarks/gradient_batch.py [--batch 10000] [--n 200] [--exact 200]
        [--solve 500] [--method gd|adam] [--device cpu|cuda] [--threads 1] [--output FILE]

The problems: a seeded synthetic panel (benchmarks/synthetic.py) of ``--n`` assets and
``--days`` daily returns; ``--batch`` bootstrap samples of its rows (with replacement), each
giving an annualised sample covariance; the long-only min-variance portfolio of each under
``w <= --max-weight`` (budget 1). Problem ``b`` is drawn from its own seed ``(0, b)``, so a
chunk of problems is built when it is solved (10,000 covariances of N = 200 would take 3.2 GB at
once) and the exact loop solves exactly the first ``--exact`` of the same problems.

What each figure includes (imports and building the bootstrap covariances are excluded from
both; the covariances' time is printed apart):

* gradient: ``solve_batch`` in chunks of ``--chunk`` problems (the memory of ``chunk x n x n``
  covariances): moving each chunk to the device, the loop (``--method``, default projected
  gradient descent) with its convergence checks, and the answers back in NumPy, on the first
  ``--solve`` problems (whole chunks; default all of ``--batch``); when fewer than ``--batch``,
  the time is scaled by ``batch / solve`` (the chunks are independent and run one after the
  other, so the time is linear in their number) and printed as an estimate. A warm-up chunk of
  8 problems is run first and not counted;
* exact: ``cryptofolio.optimize.optimize_portfolio`` called in a Python loop on the first
  ``--exact`` problems (labelled pandas inputs built before the clock starts), the time per
  problem, and that per-problem time times ``--batch`` (the loop is linear in the number of
  problems: every call is independent). ``--exact`` equal to ``--batch`` measures the whole loop.

Agreement: on the problems solved both ways, the objective values (annualised variance) of the
two answers are compared; the script fails (exit 1) when any gradient problem did not converge
or any gap exceeds ``--agree`` (default 1e-6). A GPU figure (the same batch on CUDA) is added
with ``--device cuda`` runs the gradient engine on the GPU (the covariances are built on the
CPU and each chunk's transfer is timed with it; the exact loop stays on the CPU); ``--dtype
float32`` halves the memory and traffic (the agreement is then checked at ``--agree``, which a
float32 answer may not meet at 1e-6). A script, not a test: timings depend on the machine and
its load (printed at start and end); ``--output`` also writes the printed lines to a file.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_returns

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio

#: the command-line options that are GradientSpec fields
SPEC_FIELDS = ("lr", "iterations", "tol", "method", "device", "dtype")


def bootstrap_covariances(returns: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Annualised (365) sample covariances of bootstrap resamples of the rows, problems
    ``lo .. hi - 1`` (problem ``b`` from the seed ``(0, b)``), shape ``(hi - lo, n, n)``."""
    t, n = returns.shape
    out = np.empty((hi - lo, n, n))
    for k, b in enumerate(range(lo, hi)):
        sample = returns[np.random.default_rng((0, b)).integers(0, t, t)]
        centred = sample - sample.mean(0)
        out[k] = centred.T @ centred * (365.0 / (t - 1))
    return out


def gradient_batch(returns, solve: int, constraints: Constraints, spec, chunk: int) -> dict:
    """Solve every problem with the batched engine, chunk by chunk; the solve time (data moved
    to the device and back included) apart from the time building the covariances."""
    from cryptofolio.optimize.gradient import MinVariance, ObjectiveData, solve_batch

    warm = ObjectiveData(covariance=bootstrap_covariances(returns, 0, 8))
    solve_batch(MinVariance(), warm, constraints, spec=spec)
    parts, solving, building = [], 0.0, 0.0
    for lo in range(0, solve, chunk):
        began = time.perf_counter()
        covs = bootstrap_covariances(returns, lo, min(lo + chunk, solve))
        building += time.perf_counter() - began
        began = time.perf_counter()
        parts.append(
            solve_batch(MinVariance(), ObjectiveData(covariance=covs), constraints, spec=spec)
        )
        solving += time.perf_counter() - began
    return {
        "weights": np.concatenate([p.weights for p in parts]),
        "converged": np.concatenate([p.converged for p in parts]),
        "iterations": np.concatenate([p.iterations for p in parts]),
        "seconds": solving,
        "building": building,
    }


def exact_loop(covs: np.ndarray, constraints: Constraints) -> tuple[np.ndarray, float]:
    """Min-variance weights of each covariance by the exact solver, and the loop's seconds."""
    n = covs.shape[1]
    names = [f"S{i:04d}" for i in range(n)]
    frames = [pd.DataFrame(c, index=names, columns=names) for c in covs]
    mu = pd.Series(0.0, index=names)
    weights = np.empty((len(covs), n))
    began = time.perf_counter()
    for b, cov in enumerate(frames):
        result = optimize_portfolio(
            cov, mu, objective=Objective.MIN_VARIANCE, constraints=constraints
        )
        weights[b] = result.weights.reindex(names).to_numpy()
    return weights, time.perf_counter() - began


def agreement(got: dict, we: np.ndarray, covs: np.ndarray, cap: float, agree: float, out) -> bool:
    """Print how the two solvers' answers agree on the problems solved both ways; whether every
    gradient problem converged, its weights are feasible and every gap is within ``agree``."""
    n_exact = len(we)
    wg = got["weights"]
    ve = np.einsum("bi,bij,bj->b", we, covs, we)
    gaps = np.einsum("bi,bij,bj->b", wg[:n_exact], covs, wg[:n_exact]) - ve
    feasible = (wg.min() >= -1e-9) and (wg.max() <= cap + 1e-9)
    feasible = feasible and np.abs(wg.sum(1) - 1).max() < 1e-8
    out(f"agreement on the {n_exact} problems solved both ways: objective gap (gradient - "
        f"exact, annualised variance) max {gaps.max():.2e}, min {gaps.min():.2e}; "
        f"largest weight difference {np.abs(wg[:n_exact] - we).max():.2e}; gradient weights "
        f"feasible: {bool(feasible)}")  # fmt: skip
    return bool(got["converged"].all()) and bool(np.abs(gaps).max() <= agree) and feasible


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000, help="bootstrap problems")
    parser.add_argument("--n", type=int, default=200, help="assets")
    parser.add_argument("--days", type=int, default=365, help="rows of the panel resampled")
    parser.add_argument("--max-weight", type=float, default=0.1)
    parser.add_argument("--exact", type=int, default=200, help="problems the exact loop solves")
    parser.add_argument("--solve", type=int, default=None, help="problems the gradient solves")
    parser.add_argument("--chunk", type=int, default=500, help="problems per tensor program")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--tol", type=float, default=1e-9)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--method", default="gd", choices=["gd", "adam", "mirror"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--agree", type=float, default=1e-6, help="largest objective gap")
    parser.add_argument("--output", type=Path, default=None, help="also write the lines here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    import torch

    from cryptofolio.optimize.gradient import GradientSpec

    lines: list[str] = []

    def out(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    torch.set_num_threads(args.threads)
    n_solve = min(args.solve or args.batch, args.batch)
    n_exact = min(args.exact, n_solve)
    constraints = Constraints(max_weight=args.max_weight)
    spec = GradientSpec(**{k: getattr(args, k) for k in SPEC_FIELDS})
    load = os.getloadavg()
    device = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    out(f"gradient_batch: {args.batch} bootstrap min-variance problems, N = {args.n}, "
        f"w <= {args.max_weight}, {args.days} days resampled; {args.method}, lr {args.lr}, "
        f"tol {args.tol:g}, {args.dtype}, chunks of {args.chunk}, gradient engine on {device}")  # fmt: skip
    out(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads); load average at start "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip

    returns = synthetic_returns(args.n, args.days, seed=11).to_numpy()
    got = gradient_batch(returns, n_solve, constraints, spec, args.chunk)
    conv, its = got["converged"], got["iterations"]
    t_grad = got["seconds"] * args.batch / n_solve
    out(f"bootstrap covariances (both solvers' input, not in their times): "
        f"{got['building']:.1f} s")  # fmt: skip
    how = (
        "measured"
        if n_solve == args.batch
        else (
            f"{got['seconds']:.1f} s measured for {n_solve} x {args.batch / n_solve:g}, estimated"
        )
    )
    out(f"gradient, {device}, batched: {t_grad:.1f} s for {args.batch} problems ({how}; "
        f"{t_grad / args.batch * 1e3:.2f} ms a problem); converged {int(conv.sum())} of "
        f"{n_solve} solved; iterations median {int(np.median(its))}, max {int(its.max())}")  # fmt: skip

    covs = bootstrap_covariances(returns, 0, n_exact)
    we, t_exact = exact_loop(covs, constraints)
    per = t_exact / n_exact
    what = "measured" if n_exact == args.batch else f"{per * 1e3:.1f} ms x {args.batch}, estimated"
    out(f"exact solver looped (CPU): {t_exact:.1f} s for {n_exact} problems ({per * 1e3:.2f} ms "
        f"a problem); for {args.batch}: {per * args.batch:.1f} s ({what})")  # fmt: skip
    out(f"ratio exact / gradient ({device}) for {args.batch} problems: "
        f"{per * args.batch / t_grad:.2f}x (above 1: the gradient engine is faster)")  # fmt: skip

    ok = agreement(got, we, covs, args.max_weight, args.agree, out)
    load = os.getloadavg()
    out(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"agreement {'holds' if ok else 'FAILS'} (tolerance {args.agree:g})")  # fmt: skip
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
