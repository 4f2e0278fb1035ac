"""Record the optimiser's answers on the benchmark panels, to compare two versions of the code.

Usage::

    python benchmarks/answers.py record before.npz      # with one version on PYTHONPATH
    python benchmarks/answers.py record after.npz       # with the other
    python benchmarks/answers.py compare before.npz after.npz

Each entry is the weights of one objective (every registered objective the old code also had,
with and without constraints, costs and turnover caps), of a 50-point frontier and of a
walk-forward backtest's rebalance weights, on synthetic panels of 50 and 200 assets and on the
bundled daily data. ``compare`` prints the largest absolute weight difference per entry and fails
when one exceeds 1e-10.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_returns

TOL = 1e-10


def _cases(n: int) -> dict[str, np.ndarray]:
    from cryptofolio import estimate as est
    from cryptofolio import optimize as opt

    rets = synthetic_returns(n, 365 * 2, seed=7 + n)
    mu = rets.mean() * 365
    cov = rets.cov() * 365
    lw = est.risk_matrix(rets, est.RiskModel.LEDOIT_WOLF, periods_per_year=365)
    box = opt.Constraints(max_weight=0.3)
    short = opt.Constraints(min_weight=-0.2, max_weight=0.4, gross_exposure=1.6)
    prev = pd.Series(1.0 / n, index=cov.columns)
    out: dict[str, np.ndarray] = {}
    runs = {
        "minvar": dict(objective="min-variance"),
        "minvar_lw": dict(objective="min-variance", cov=lw),
        "minvar_short": dict(objective="min-variance", constraints=short),
        "minvar_l2": dict(objective="min-variance", constraints=opt.Constraints(l2=0.5)),
        "sharpe_box": dict(objective="max-sharpe", constraints=box),
        "sharpe_short": dict(objective="max-sharpe", constraints=short),
        "utility": dict(objective="max-utility", risk_aversion=2.0),
        "utility_l2": dict(objective="max-utility", constraints=opt.Constraints(l2=0.1)),
        "effret": dict(objective="efficient-return", target_return=float(mu.median())),
        "effrisk": dict(objective="efficient-risk", target_volatility=0.7),
        "semivar": dict(objective="min-semivariance", returns=rets),
        "sortino": dict(objective="max-sortino", returns=rets, constraints=box),
        "cvar": dict(objective="min-cvar", returns=rets),
        "cvar_box": dict(objective="min-cvar", returns=rets, constraints=box),
        "minvar_cost": dict(objective="min-variance", previous_weights=prev, transaction_cost=0.01),
        "sharpe_turnover": dict(
            objective="max-sharpe", constraints=box, previous_weights=prev, max_turnover=0.5
        ),
    }
    for name, kw in runs.items():
        kw = dict(kw)
        c = kw.pop("cov", cov)
        try:
            res = opt.optimize_portfolio(c, mu, **kw)
            out[name] = res.weights.to_numpy()
        except Exception as exc:  # recorded: both versions must fail alike
            out[name] = np.array([np.nan])
            print(f"  N={n} {name}: {type(exc).__name__}: {exc}")
    fr = opt.efficient_frontier(cov, mu, points=50, constraints=box)
    out["frontier"] = fr.weights.to_numpy()
    return {f"n{n}_{k}": v for k, v in out.items()}


def _backtest() -> dict[str, np.ndarray]:
    from cryptofolio import backtest as bt
    from cryptofolio.data import load_dataset, to_panels

    assets = ["BTC", "ETH", "XRP", "LTC", "BCH", "ADA", "DOGE", "LINK"]
    panels = to_panels(load_dataset("coingecko-daily", symbols=assets, start="2019-01-01"))
    out = {}
    for strat in ["min-variance", "max-sharpe", "min-cvar", "max-utility"]:
        cfg = bt.BacktestConfig(start="2021-01-01", end="2023-12-31", on_failure="hold")
        res = bt.run_backtest(panels, [bt.make_strategy(strat)], cfg)
        (only,) = (
            list(res.strategies.values()) if isinstance(res.strategies, dict) else res.strategies
        )
        out[f"bt_{strat}"] = only.targets.to_numpy(dtype=float)
    return out


def record(path: str) -> None:
    warnings.simplefilter("ignore")
    out: dict[str, np.ndarray] = {}
    for n in (50, 200):
        out.update(_cases(n))
    try:
        out.update(_backtest())
    except Exception as exc:
        print(f"  backtest: {type(exc).__name__}: {exc}")
    np.savez(path, **out)
    print(f"recorded {len(out)} entries in {path}")


def compare(a: str, b: str) -> int:
    A, B = np.load(a), np.load(b)
    worst = 0.0
    bad = []
    for key in sorted(set(A.files) | set(B.files)):
        if key not in A.files or key not in B.files:
            bad.append(f"{key}: only in one file")
            continue
        x, y = A[key], B[key]
        if x.shape != y.shape:
            bad.append(f"{key}: shapes {x.shape} vs {y.shape}")
            continue
        both_nan = np.isnan(x) & np.isnan(y)
        d = float(np.max(np.abs(np.where(both_nan, 0.0, x - y)), initial=0.0))
        if not np.isfinite(d):
            d = np.inf
        worst = max(worst, d)
        print(f"{key:28s} max |dw| = {d:.2e}")
        if d > TOL:
            bad.append(f"{key}: {d:.2e}")
    print(f"largest difference {worst:.2e} over {len(A.files)} entries (tolerance {TOL:g})")
    for line in bad:
        print("DIFFERS", line)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
