"""How many factorisations a cold active-set solve takes, by starting guess.

The active-set solver's cold start for minimum variance within the budget frees the
lowest-variance asset and the assets that make the lowest-variance two-asset portfolio with it
(``_simplex.simplex_start``); for max-Sharpe it frees the four assets with the best Sharpe ratio
alone (``_solve.solve_max_sharpe``). This script counts the Cholesky factorisations (one per
reduced system) of cold solves on the benchmark panels, from those starts and from the four
lowest variances (the start used before for both), and prints the mean count per panel:

* long-only minimum variance: the bundled daily data (sample and Ledoit-Wolf covariances of the
  whole window, and the 365-day walk-forward windows of task T7), and the synthetic panels of
  N = 50, 200 and 1000 assets (the same, walk-forward at N = 50 and 200);
* max-Sharpe with weights at most 0.3 (task T2) on the same panels' sample covariance and mean
  returns.

Counts, not timings: the figures do not depend on the machine.

    .venv/bin/python benchmarks/cold_start.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from benchmarks import tasks as t
from benchmarks.run_benchmarks import real_inputs, synthetic_inputs

from cryptofolio.estimate import RiskModel, risk_matrix
from cryptofolio.optimize import Constraints
from cryptofolio.optimize import _active_set as active_set
from cryptofolio.optimize import _simplex as simplex
from cryptofolio.optimize import _solve as solve


def lowest_variances(qp: active_set.BoxQP, count: int = 4) -> np.ndarray:
    """The start used before: every asset at 0 except the ``count`` lowest variances."""
    state = np.full(qp.n, active_set.LOWER, dtype=np.int8)
    state[np.argsort(qp.P.diagonal(), kind="stable")[:count]] = active_set.FREE
    return state


def factorisations(qp: active_set.BoxQP, state: np.ndarray | None) -> int:
    """Cholesky factorisations of one solve from ``state`` (``None``: the cold start)."""
    calls = []
    potrf = active_set._POTRF  # (the long-only loop of _simplex calls the same function)

    def counting(M, *args, **kwargs):
        calls.append(M.shape[0])
        return potrf(M, *args, **kwargs)

    active_set._POTRF = simplex._POTRF = counting
    try:
        active_set.solve_box_qp(qp, state)
    finally:
        active_set._POTRF = simplex._POTRF = potrf
    return len(calls)


def sharpe_start(inputs) -> tuple[active_set.BoxQP, np.ndarray]:
    """Task T2's homogenised max-Sharpe problem and the solver's cold start for it (what
    ``solve_max_sharpe`` computes when no warm start is kept)."""
    cons = Constraints(max_weight=t.MAX_WEIGHT_T2)
    pb = solve.make_problem(inputs.cov, inputs.mu, cons, need_mu=True)
    qp = solve.max_sharpe_qp(pb)
    sd = np.sqrt(np.maximum(pb.S.diagonal(), 1e-300))
    return qp, active_set.cold_state(qp, score=(pb.rf - pb.mu) / sd)


def min_variance_qp(returns, model: RiskModel) -> active_set.BoxQP:
    cov = risk_matrix(returns, model, warn=False)
    return solve.minvar_qp(solve.make_problem(cov, None, Constraints(), need_mu=False))


def main() -> int:
    warnings.simplefilter("ignore")
    panels = [("bundled daily", real_inputs(), True)]
    panels += [(f"synthetic N={n}", synthetic_inputs(n), n <= 200) for n in (50, 200, 1000)]
    print(f"{'panel':32s} {'problems':>8s} {'two-asset start':>16s} {'lowest variances':>17s}")
    for name, inputs, walk in panels:
        returns = inputs.returns
        cases = [
            (f"{name}, {model.value}", [min_variance_qp(returns, model)])
            for model in (RiskModel.SAMPLE, RiskModel.LEDOIT_WOLF)
        ]
        if walk:
            windows = [
                min_variance_qp(returns.iloc[i - t.LOOKBACK_DAYS : i], RiskModel.SAMPLE)
                for i in t.rebalance_indices(len(returns))
            ]
            cases.append((f"{name}, T7 windows", windows))
        for label, qps in cases:
            new = np.mean([factorisations(qp, None) for qp in qps])
            old = np.mean([factorisations(qp, lowest_variances(qp)) for qp in qps])
            print(f"{label:32s} {len(qps):8d} {new:16.2f} {old:17.2f}")
    print(f"\n{'panel':32s} {'problems':>8s} {'best Sharpe':>16s} {'lowest variances':>17s}")
    for name, inputs, _ in panels:
        qp, start = sharpe_start(inputs)
        new, old = factorisations(qp, start), factorisations(qp, lowest_variances(qp))
        print(f"{name + ', T2 max-Sharpe':32s} {1:8d} {new:16d} {old:17d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
