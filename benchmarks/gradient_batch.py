"""Batched gradient engine against the exact solver looped: B bootstrap min-variance portfolios.

    PYTHONPATH=src python benchmarks/gradient_batch.py [--batch 10000] [--n 200] [--exact 200]

The problems: a seeded synthetic panel (benchmarks/synthetic.py) of ``--n`` assets and
``--days`` daily returns; ``--batch`` bootstrap samples of its rows (with replacement), each
giving an annualised sample covariance; the long-only min-variance portfolio of each under
``w <= --max-weight`` (budget 1).

What each figure includes (imports and the bootstrap covariances are excluded from both, and
timed apart):

* gradient: ``solve_batch`` of the whole batch in chunks of ``--chunk`` problems (the memory of
  ``chunk x n x n`` covariances): moving each chunk to the device, the projected-Adam loop with
  its convergence checks, and the answers back in NumPy. A warm-up chunk of 8 problems is run
  first and not counted;
* exact: ``cryptofolio.optimize.optimize_portfolio`` called in a Python loop on the first
  ``--exact`` problems (labelled pandas inputs built before the clock starts), the time per
  problem, and that per-problem time times ``--batch`` (the loop is linear in the number of
  problems: every call is independent). ``--exact`` equal to ``--batch`` measures the whole loop.

Agreement: on the problems solved both ways, the objective values (annualised variance) of the
two answers are compared; the script fails (exit 1) when any gradient problem did not converge
or any gap exceeds ``--agree`` (default 1e-6). A GPU figure (the same batch on CUDA) is added
only when ``torch.cuda.is_available()``. A script, not a test: timings depend on the machine
and its load (printed).
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


def bootstrap_covariances(returns: np.ndarray, batch: int, seed: int) -> np.ndarray:
    """``batch`` annualised (365) sample covariances of bootstrap resamples of the rows."""
    rng = np.random.default_rng(seed)
    t, n = returns.shape
    out = np.empty((batch, n, n))
    for b in range(batch):
        sample = returns[rng.integers(0, t, t)]
        centred = sample - sample.mean(0)
        out[b] = centred.T @ centred * (365.0 / (t - 1))
    return out


def gradient_batch(covs: np.ndarray, constraints: Constraints, spec, chunk: int, device: str):
    """Solve every covariance with the batched engine: weights, variances, converged, seconds."""
    from dataclasses import replace

    from cryptofolio.optimize.gradient import MinVariance, ObjectiveData, solve_batch

    spec = replace(spec, device=device)
    solve_batch(MinVariance(), ObjectiveData(covariance=covs[:8]), constraints, spec=spec)
    parts = []
    began = time.perf_counter()
    for lo in range(0, len(covs), chunk):
        data = ObjectiveData(covariance=covs[lo : lo + chunk])
        parts.append(solve_batch(MinVariance(), data, constraints, spec=spec))
    seconds = time.perf_counter() - began
    weights = np.concatenate([p.weights for p in parts])
    values = np.concatenate([p.objective_values for p in parts])
    converged = np.concatenate([p.converged for p in parts])
    iterations = np.concatenate([p.iterations for p in parts])
    return weights, values, converged, iterations, seconds


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000, help="bootstrap problems")
    parser.add_argument("--n", type=int, default=200, help="assets")
    parser.add_argument("--days", type=int, default=365, help="rows of the panel resampled")
    parser.add_argument("--max-weight", type=float, default=0.1)
    parser.add_argument("--exact", type=int, default=200, help="problems the exact loop solves")
    parser.add_argument("--chunk", type=int, default=500, help="problems per tensor program")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--tol", type=float, default=1e-9)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--agree", type=float, default=1e-6, help="largest objective gap")
    args = parser.parse_args(argv)

    import torch

    from cryptofolio.optimize.gradient import GradientSpec

    n_exact = min(args.exact, args.batch)
    constraints = Constraints(max_weight=args.max_weight)
    spec = GradientSpec(lr=args.lr, iterations=args.iterations, tol=args.tol, dtype=args.dtype)
    load = os.getloadavg()
    print(f"gradient_batch: {args.batch} bootstrap min-variance problems, N = {args.n}, "
          f"w <= {args.max_weight}, {args.days} days resampled; lr {args.lr}, tol {args.tol:g}, "
          f"{args.dtype}, chunks of {args.chunk}")  # fmt: skip
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); load average at start "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip

    returns = synthetic_returns(args.n, args.days, seed=11).to_numpy()
    began = time.perf_counter()
    covs = bootstrap_covariances(returns, args.batch, seed=0)
    print(f"bootstrap covariances (both solvers' input, not in their times): "
          f"{time.perf_counter() - began:.1f} s")  # fmt: skip

    wg, _, conv, its, t_grad = gradient_batch(covs, constraints, spec, args.chunk, "cpu")
    print(f"gradient, CPU, batched: {t_grad:.1f} s for {args.batch} problems "
          f"({t_grad / args.batch * 1e3:.2f} ms a problem); converged {int(conv.sum())} of "
          f"{args.batch}; iterations median {int(np.median(its))}, max {int(its.max())}")  # fmt: skip

    we, t_exact = exact_loop(covs[:n_exact], constraints)
    per = t_exact / n_exact
    what = "measured" if n_exact == args.batch else f"{per * 1e3:.1f} ms x {args.batch}, estimated"
    print(f"exact solver looped: {t_exact:.1f} s for {n_exact} problems ({per * 1e3:.2f} ms a "
          f"problem); for {args.batch}: {per * args.batch:.1f} s ({what})")  # fmt: skip
    print(f"ratio exact / gradient (CPU) for {args.batch} problems: "
          f"{per * args.batch / t_grad:.2f}x")  # fmt: skip

    ve = np.einsum("bi,bij,bj->b", we, covs[:n_exact], we)
    vg_check = np.einsum("bi,bij,bj->b", wg[:n_exact], covs[:n_exact], wg[:n_exact])
    gaps = vg_check - ve
    feasible = (wg.min() >= -1e-9) and (wg.max() <= args.max_weight + 1e-9)
    feasible = feasible and np.abs(wg.sum(1) - 1).max() < 1e-8
    print(f"agreement on the {n_exact} problems solved both ways: objective gap (gradient - "
          f"exact, annualised variance) max {gaps.max():.2e}, min {gaps.min():.2e}; "
          f"largest weight difference {np.abs(wg[:n_exact] - we).max():.2e}; gradient weights "
          f"feasible: {bool(feasible)}")  # fmt: skip
    ok = bool(conv.all()) and bool(np.abs(gaps).max() <= args.agree) and feasible
    if torch.cuda.is_available():
        *_, conv_g, _, t_gpu = gradient_batch(covs, constraints, spec, args.chunk, "cuda")
        print(f"gradient, GPU ({torch.cuda.get_device_name()}): {t_gpu:.2f} s; converged "
              f"{int(conv_g.sum())} of {args.batch}; ratio exact / GPU "
              f"{per * args.batch / t_gpu:.1f}x")  # fmt: skip
    else:
        print("no CUDA device: no GPU figure")
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"agreement {'holds' if ok else 'FAILS'} (tolerance {args.agree:g})")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
