"""Time HRP against PyPortfolioOpt, Riskfolio-Lib and skfolio at N = 50, 200, 1000.

    PYTHONPATH=src python benchmarks/hrp_speed.py [--sizes 50,200,1000] [--repeats 5]

Task: HRP weights from a panel of daily returns (seeded synthetic panel, benchmarks/synthetic.py,
1500 days), single linkage, Pearson distance, variance, no optimal leaf ordering. Every library
starts from the same returns frame, so each figure includes its own covariance and correlation
estimates, the distance, the linkage, the ordering and the bisection:

* cryptofolio: ``sample_covariance(returns)``, then ``HierarchicalRiskParity().weights(cov)``;
* PyPortfolioOpt: ``HRPOpt(returns).optimize("single")``;
* Riskfolio-Lib: ``HCPortfolio(returns).optimization(model="HRP", linkage="single",
  leaf_order=False)``;
* skfolio: ``HierarchicalRiskParity`` with single linkage and no optimal ordering, ``fit``.

Before timing, each peer's weights are checked against cryptofolio's (1e-8). Prints the median
wall time of each (``--repeats`` calls after a warm-up) and the ratio peer / cryptofolio.
Slow peers at large N are timed once (``--max-peer-seconds``). A script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_returns

from cryptofolio.estimate import sample_covariance
from cryptofolio.optimize.objectives.hierarchical import HierarchicalRiskParity


def ours(returns: pd.DataFrame) -> np.ndarray:
    cov = sample_covariance(returns).to_numpy()
    return HierarchicalRiskParity().weights(cov)


def pypfopt(returns: pd.DataFrame) -> np.ndarray:
    from pypfopt import HRPOpt

    w = HRPOpt(returns=returns).optimize(linkage_method="single")
    return np.array([w[a] for a in returns.columns])


def riskfolio(returns: pd.DataFrame) -> np.ndarray:
    import riskfolio as rp

    w = rp.HCPortfolio(returns=returns).optimization(
        model="HRP", codependence="pearson", rm="MV", linkage="single", leaf_order=False
    )
    return w["weights"].reindex(returns.columns).to_numpy()


def skfolio(returns: pd.DataFrame) -> np.ndarray:
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.optimization import HierarchicalRiskParity as SkHRP
    from skfolio.seriation import HierarchicalSeriation

    seriation = HierarchicalSeriation(
        hierarchical_clustering_estimator=HierarchicalClustering(
            linkage_method=LinkageMethod.SINGLE
        ),
        optimal_ordering=False,
    )
    return SkHRP(seriation_estimator=seriation).fit(returns).weights_


PEERS: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "PyPortfolioOpt": pypfopt,
    "Riskfolio-Lib": riskfolio,
    "skfolio": skfolio,
}


def timed(fn, returns: pd.DataFrame, repeats: int, budget: float) -> float:
    start = time.perf_counter()
    fn(returns)  # warm-up (imports, caches)
    first = time.perf_counter() - start
    if first * repeats > budget:
        return first
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(returns)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-peer-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    for n in (int(s) for s in args.sizes.split(",")):
        returns = synthetic_returns(n)
        w = ours(returns)
        mine = timed(ours, returns, args.repeats, args.max_peer_seconds)
        row = [f"N = {n:5d}: cryptofolio {1e3 * mine:9.1f} ms"]
        fastest = float("inf")
        for name, fn in PEERS.items():
            err = float(np.abs(fn(returns) - w).max())
            if err > 1e-8:
                row.append(f"{name}: DIFFERENT weights (max |dw| = {err:.2e})")
                continue
            t = timed(fn, returns, args.repeats, args.max_peer_seconds)
            fastest = min(fastest, t)
            row.append(f"{name} {1e3 * t:9.1f} ms ({t / mine:6.1f}x)")
        row.append(f"fastest peer / cryptofolio {fastest / mine:.1f}x")
        print("; ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
