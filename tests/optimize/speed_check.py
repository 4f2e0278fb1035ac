"""Quick speed and accuracy check of the optimiser on seeded synthetic data (a script, not a test).

The benchmark suite (``benchmarks/``) compares against the peers; this script is the optimiser's
own quick loop: time the solves that the speed targets are about and check every answer against
a second solver (cvxpy + Clarabel at tight tolerances, or scipy's HiGHS for the CVaR LP).

Data: a Student-t factor model (market factor + 4 sector factors, 3-5 dof idiosyncratic shocks),
daily returns with annualised volatility 60-100 % and drift N(20 %, 40 %).

Example
-------
    .venv/bin/python tests/optimize/speed_check.py --task walk-forward --n 1000
    .venv/bin/python tests/optimize/speed_check.py --task frontier --n 200
    .venv/bin/python tests/optimize/speed_check.py --task cvar --n 200
    .venv/bin/python tests/optimize/speed_check.py --task minvar,sharpe,utility --n 1000
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from cryptofolio.optimize import (
    Constraints,
    Objective,
    _solve,
    efficient_frontier,
    optimize_portfolio,
)

PPY = 365.0


def synthetic(n: int, t: int = 1500, seed: int = 11) -> pd.DataFrame:
    """Daily simple returns (t x n) of a fat-tailed factor model with crypto-like volatility."""
    rng = np.random.default_rng([seed, n, t])
    k = 5
    f = rng.standard_t(4, size=(t, k)) / np.sqrt(2.0) * np.array([1.0, 0.5, 0.5, 0.5, 0.5])
    beta = np.zeros((n, k))
    beta[:, 0] = rng.uniform(0.6, 1.4, n)
    beta[np.arange(n), rng.integers(1, k, n)] = rng.uniform(0.5, 1.5, n)
    dof = rng.uniform(3, 5, n)
    e = rng.standard_t(dof, size=(t, n)) / np.sqrt(dof / (dof - 2)) * rng.uniform(0.6, 1.2, n)
    raw = f @ beta.T + e
    raw = (raw - raw.mean(0)) / raw.std(0, ddof=1) * rng.uniform(0.6, 1.0, n) / np.sqrt(PPY)
    raw += rng.normal(0.2, 0.4, n) / PPY
    idx = pd.date_range("2019-01-01", periods=t, freq="D", tz="UTC")
    return pd.DataFrame(raw, index=idx, columns=[f"S{i:04d}" for i in range(n)])


def clarabel_value(S, mu=None, *, lam=None, l2=0.0, hi=1.0, r_min=None, sharpe=False) -> float:
    """Optimal objective of the same problem by cvxpy + Clarabel (tolerances 1e-10)."""
    import cvxpy as cp

    n = S.shape[0]
    vals, vecs = np.linalg.eigh(S)
    L = vecs * np.sqrt(np.clip(vals, 0, None))
    w = cp.Variable(n)
    risk = cp.sum_squares(L.T @ w)
    if sharpe:  # min y'Sy s.t. mu'y = 1, sum y = k, 0 <= y <= hi k
        k = cp.Variable()
        cons = [mu @ w == 1, cp.sum(w) == k, w >= 0, w <= hi * k, k >= 0]
        prob = cp.Problem(cp.Minimize(risk), cons)
    else:
        cons = [cp.sum(w) == 1, w >= 0, w <= hi]
        if r_min is not None:
            cons.append(mu @ w >= r_min)
        obj = risk if lam is None else 0.5 * risk - lam * (mu @ w) + l2 * cp.sum_squares(w)
        prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value)


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def walk_forward(n: int, t: int, lookback: int = 365, every: int = 7, check: int = 3) -> None:
    """Weekly long-only min-variance with the sample covariance of the last ``lookback`` days."""
    R = synthetic(n, t).to_numpy()
    cols = [f"S{i:04d}" for i in range(n)]
    _solve.clear_warm_starts()
    starts = list(range(lookback, t, every))
    t_est = t_opt = 0.0
    worst = 0.0
    checked = np.linspace(0, len(starts) - 1, check).astype(int).tolist()
    for j, i in enumerate(starts):
        t0 = time.perf_counter()
        cov = pd.DataFrame(
            np.cov(R[i - lookback : i], rowvar=False) * PPY, index=cols, columns=cols
        )
        t1 = time.perf_counter()
        res = optimize_portfolio(cov)
        t2 = time.perf_counter()
        t_est += t1 - t0
        t_opt += t2 - t1
        if j in checked:
            S = cov.to_numpy()
            w = res.weights.to_numpy()
            worst = max(worst, rel(float(w @ S @ w), clarabel_value(S)))
    print(
        f"walk-forward N={n} T={t} lookback={lookback} every={every}: {len(starts)} solves, "
        f"optimiser {t_opt:.2f} s ({1e3 * t_opt / len(starts):.1f} ms/solve), sample covariance "
        f"{t_est:.2f} s; variance vs Clarabel at {check} windows: worst rel diff {worst:.1e}"
    )
    try:
        from pypfopt import EfficientFrontier

        cov = pd.DataFrame(np.cov(R[-lookback:], rowvar=False) * PPY, index=cols, columns=cols)
        t0 = time.perf_counter()
        ef = EfficientFrontier(None, cov)
        ef.min_volatility()
        t_p = time.perf_counter() - t0
        wp = pd.Series(ef.clean_weights(rounding=None)).reindex(cols).to_numpy()
        t0 = time.perf_counter()
        w = optimize_portfolio(cov).weights.to_numpy()
        t_c = time.perf_counter() - t0
        S = cov.to_numpy()
        print(
            f"  last window: PyPortfolioOpt {t_p:.3f} s, variance {wp @ S @ wp:.10g}; "
            f"cryptofolio {t_c:.4f} s, variance {w @ S @ w:.10g}"
        )
    except ImportError:
        print("  PyPortfolioOpt not installed: peer comparison skipped")


def timed(fn, repeats: int = 5) -> tuple[float, object]:
    fn()
    times, out = [], None
    for _ in range(repeats):
        _solve.clear_warm_starts()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def frontier(n: int, t: int, points: int = 50) -> None:
    R = synthetic(n, t)
    cov, mu = R.cov() * PPY, R.mean() * PPY
    sec, fr = timed(lambda: efficient_frontier(cov, mu, points=points))
    S, m = cov.to_numpy(), mu.to_numpy()
    W = fr.weights.to_numpy()
    worst = 0.0
    for j in (1, points // 4, points // 2, 3 * points // 4, points - 2):
        r = float(fr.points["return"].iloc[j])
        worst = max(worst, rel(float(W[j] @ S @ W[j]), clarabel_value(S, m, r_min=r)))
    print(
        f"frontier N={n} T={t} {points} points: median {1e3 * sec:.1f} ms (cold cache); "
        f"variance vs Clarabel at 5 points: worst rel diff {worst:.1e}"
    )


def cvar_of(w: np.ndarray, R: np.ndarray, alpha: float) -> float:
    """Historical CVaR of the losses -R w: Rockafellar-Uryasev at the optimal VaR (exact)."""
    loss = -R @ w
    T = loss.size
    srt = np.sort(loss)
    var = srt[int(np.ceil(alpha * T)) - 1]
    return var + np.maximum(loss - var, 0).sum() / ((1 - alpha) * T)


def cvar(n: int, t: int, alpha: float = 0.95) -> None:
    R = synthetic(n, t)
    cov, mu = R.cov() * PPY, R.mean() * PPY
    sec, res = timed(
        lambda: optimize_portfolio(
            cov, mu, objective=Objective.MIN_CVAR, returns=R, cvar_alpha=alpha
        ),
        repeats=3,
    )
    w = res.weights.to_numpy()
    from scipy.optimize import linprog

    Rv = R.to_numpy()
    T = Rv.shape[0]
    c = np.concatenate([np.zeros(n), [1.0], np.full(T, 1 / ((1 - alpha) * T))])
    A = np.hstack([-Rv, -np.ones((T, 1)), -np.eye(T)])
    A_eq = np.concatenate([np.ones(n), [0.0], np.zeros(T)])[None, :]
    bounds = [(0, 1)] * n + [(None, None)] + [(0, None)] * T
    t0 = time.perf_counter()
    ref = linprog(c, A_ub=A, b_ub=np.zeros(T), A_eq=A_eq, b_eq=[1.0], bounds=bounds)
    t_ref = time.perf_counter() - t0
    mine = cvar_of(w, Rv, alpha)
    print(
        f"min-CVaR {alpha:g} N={n} T={t}: median {sec:.3f} s ({res.solver}); CVaR of the "
        f"weights {mine:.10g} vs plain dense HiGHS LP {ref.fun:.10g} ({t_ref:.2f} s): "
        f"rel diff {rel(mine, ref.fun):.1e}"
    )


def sharpe(n: int, t: int) -> None:
    R = synthetic(n, t)
    cov, mu = R.cov() * PPY, R.mean() * PPY
    cons = Constraints(max_weight=0.3)
    sec, res = timed(
        lambda: optimize_portfolio(cov, mu, objective=Objective.MAX_SHARPE, constraints=cons)
    )
    S, m = cov.to_numpy(), mu.to_numpy()
    # optimal y'Sy of the homogenised problem is 1 / Sharpe^2
    ref = clarabel_value(S, m, hi=0.3, sharpe=True)
    print(
        f"max-Sharpe w<=0.3 N={n} T={t}: median {1e3 * sec:.1f} ms; 1/Sharpe^2 "
        f"{1 / res.sharpe**2:.10g} vs Clarabel {ref:.10g}: rel diff "
        f"{rel(1 / res.sharpe**2, ref):.1e}"
    )


def minvar(n: int, t: int) -> None:
    R = synthetic(n, t)
    cov = R.cov() * PPY
    sec, res = timed(lambda: optimize_portfolio(cov))
    S = cov.to_numpy()
    w = res.weights.to_numpy()
    ref = clarabel_value(S)
    print(
        f"min-variance N={n} T={t}: median {1e3 * sec:.1f} ms; variance {w @ S @ w:.10g} vs "
        f"Clarabel {ref:.10g}: rel diff {rel(float(w @ S @ w), ref):.1e}"
    )


def utility(n: int, t: int, lam: float = 0.5, l2: float = 0.05) -> None:
    R = synthetic(n, t)
    cov, mu = R.cov() * PPY, R.mean() * PPY
    cons = Constraints(l2=l2)
    sec, res = timed(
        lambda: optimize_portfolio(
            cov, mu, objective=Objective.MAX_UTILITY, risk_aversion=lam, constraints=cons
        )
    )
    S, m = cov.to_numpy(), mu.to_numpy()
    w = res.weights.to_numpy()
    mine = 0.5 * w @ S @ w - lam * m @ w + l2 * w @ w
    ref = clarabel_value(S, m, lam=lam, l2=l2)
    print(
        f"utility+L2 N={n} T={t}: median {1e3 * sec:.1f} ms; objective {mine:.10g} vs "
        f"Clarabel {ref:.10g}: rel diff {rel(mine, ref):.1e}"
    )


TASKS = {
    "walk-forward": walk_forward,
    "minvar": minvar,
    "frontier": frontier,
    "cvar": cvar,
    "sharpe": sharpe,
    "utility": utility,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="walk-forward", help=f"comma list of {', '.join(TASKS)}")
    ap.add_argument("--n", type=int, default=1000, help="number of assets")
    ap.add_argument("--t", type=int, default=1500, help="number of days")
    args = ap.parse_args()
    for name in args.task.split(","):
        TASKS[name](args.n, args.t)


if __name__ == "__main__":
    main()
