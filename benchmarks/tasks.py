"""The benchmark tasks T1..T8, their shared inputs and the independent objective evaluators.

Every library solves the same task on the same :class:`BenchInputs` (daily returns, annualised
expected returns and sample covariance, annualised with 365). Agreement is judged by evaluating
each library's weights with the NumPy evaluators below, never with the library's own report.

Task definitions (weights are fractions of equity, long-only, fully invested unless said):

* T1 minimum variance, sample covariance: min w'Σw.
* T2 maximum Sharpe (risk-free 0), 0 <= w <= 0.3: max w'μ / sqrt(w'Σw).
* T3 efficient frontier of 50 points (long-only, mean-variance).
* T4 Ledoit-Wolf shrunk covariance (estimated inside the timed call) + minimum variance.
* T5 HRP from the daily returns (each library estimates the covariance or correlation itself):
  single linkage, Pearson angular distance, variance, no optimal leaf ordering. No scalar
  objective: agreement is the largest weight difference to cryptofolio's.
* T6 minimum CVaR 95 % of the historical daily scenarios.
* T7 walk-forward: 365-day lookback, rebalance every 7 days, minimum variance of the sample
  covariance of the lookback window, over the whole panel.
* T8 mean-variance utility with L2: max w'μ - (δ/2) w'Σw - γ ||w||² (δ = RISK_AVERSION,
  γ = L2_GAMMA, annualised units).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve
from threadpoolctl import ThreadpoolController

PERIODS_PER_YEAR = 365.0
MAX_WEIGHT_T2 = 0.3
FRONTIER_POINTS = 50
CVAR_ALPHA = 0.95
LOOKBACK_DAYS = 365
REBALANCE_EVERY = 7
RISK_AVERSION = 2.0  # δ in w'μ - (δ/2) w'Σw (PyPortfolioOpt's convention)
L2_GAMMA = 0.1  # γ in - γ ||w||², annualised utility units


class Task(StrEnum):
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"
    T6 = "T6"
    T7 = "T7"
    T8 = "T8"


TASK_TITLES: dict[Task, str] = {
    Task.T1: "min variance (sample cov)",
    Task.T2: "max Sharpe, w <= 0.3",
    Task.T3: "frontier, 50 points",
    Task.T4: "Ledoit-Wolf + min variance",
    Task.T5: "HRP",
    Task.T6: "min CVaR 95%",
    Task.T7: "walk-forward min var (365d, weekly)",
    Task.T8: "utility + L2",
}

# Sense of each task's objective: +1 = lower is better, -1 = higher is better.
OBJECTIVE_SENSE: dict[Task, int] = {
    Task.T1: 1,
    Task.T2: -1,
    Task.T3: 1,
    Task.T4: 1,
    Task.T6: 1,
    Task.T7: 1,
    Task.T8: -1,
}


@dataclass(frozen=True)
class BenchInputs:
    """One dataset as every library sees it.

    ``returns`` are daily simple returns (no NaN); ``mu`` and ``cov`` are the annualised (x365)
    sample mean and sample covariance (ddof=1) of those returns; ``prices`` are the prices
    rebuilt from the returns (starting at 1), for libraries whose recommended API takes prices.
    """

    name: str
    returns: pd.DataFrame
    mu: pd.Series
    cov: pd.DataFrame
    prices: pd.DataFrame

    @property
    def n_assets(self) -> int:
        return self.returns.shape[1]

    @property
    def n_days(self) -> int:
        return self.returns.shape[0]


def make_inputs(name: str, returns: pd.DataFrame) -> BenchInputs:
    """Shared inputs from a daily return panel (raises if it holds NaN)."""
    if returns.isna().to_numpy().any():
        bad = returns.columns[returns.isna().any()].tolist()
        raise ValueError(f"benchmark returns for {name!r} hold NaN in {bad}; pick a full window")
    values = returns.to_numpy()
    mu = pd.Series(values.mean(axis=0) * PERIODS_PER_YEAR, index=returns.columns)
    cov = pd.DataFrame(
        np.cov(values, rowvar=False, ddof=1) * PERIODS_PER_YEAR,
        index=returns.columns,
        columns=returns.columns,
    )
    first = pd.DataFrame(
        np.ones((1, returns.shape[1])),
        index=[returns.index[0] - pd.Timedelta(days=1)],
        columns=returns.columns,
    )
    prices = pd.concat([first, (1.0 + returns).cumprod()])
    return BenchInputs(name=name, returns=returns, mu=mu, cov=cov, prices=prices)


# ----------------------------------------------------------------------------- evaluators


def variance(w: np.ndarray, cov: np.ndarray) -> float:
    """Annualised portfolio variance w'Σw."""
    return float(w @ cov @ w)


def sharpe(w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    """Annualised Sharpe ratio with a zero risk-free rate."""
    return float(w @ mu / np.sqrt(w @ cov @ w))


def utility(w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    """T8 objective w'μ - (δ/2) w'Σw - γ ||w||² (annualised)."""
    return float(w @ mu - 0.5 * RISK_AVERSION * (w @ cov @ w) - L2_GAMMA * (w @ w))


def cvar(w: np.ndarray, returns: np.ndarray, alpha: float = CVAR_ALPHA) -> float:
    """Historical CVaR (daily, fraction of equity) of the loss -R w at level ``alpha``.

    Exact Rockafellar-Uryasev value min_z z + E[(loss - z)+] / (1 - alpha), whose minimum is
    attained at one of the sorted losses around the alpha-quantile.
    """
    losses = np.sort(-(returns @ w))
    n = losses.size
    k = int(np.floor(alpha * n))
    best = np.inf
    for j in range(max(0, k - 2), min(n, k + 3)):
        z = losses[j]
        value = z + np.maximum(losses - z, 0.0).sum() / ((1.0 - alpha) * n)
        best = min(best, value)
    return float(best)


def ledoit_wolf_cov(returns: pd.DataFrame) -> np.ndarray:
    """Annualised Ledoit-Wolf covariance (scikit-learn's estimator, the one every peer wraps)."""
    from sklearn.covariance import ledoit_wolf

    shrunk, _ = ledoit_wolf(returns.to_numpy())
    return shrunk * PERIODS_PER_YEAR


def rebalance_indices(n_days: int) -> list[int]:
    """Row positions of the T7 rebalances: the window is rows [i - 365, i), held from row i."""
    return list(range(LOOKBACK_DAYS, n_days, REBALANCE_EVERY))


def window_variance_mean(weights: np.ndarray, returns: np.ndarray) -> float:
    """T7 objective: mean over rebalances of the in-window annualised variance w_t'Σ_t w_t
    (the first ``len(weights)`` rebalances, so runs that drop a short last period compare)."""
    out = []
    idx = rebalance_indices(returns.shape[0])[: len(weights)]
    for w, i in zip(weights, idx, strict=True):
        port = returns[i - LOOKBACK_DAYS : i] @ w
        out.append(port.var(ddof=1) * PERIODS_PER_YEAR)
    return float(np.mean(out))


def simulate_equity(returns: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Equity curve (starting at 1) of holding ``weights[k]`` from rebalance k with drift.

    The same cheap simulation is run after every peer's T7 loop so that peers pay for a
    simulation too (cryptofolio's backtester simulates, with costs, inside its own call).
    """
    idx = rebalance_indices(returns.shape[0])
    equity: list[float] = [1.0]
    value = 1.0
    for k, start in enumerate(idx):
        stop = idx[k + 1] if k + 1 < len(idx) else returns.shape[0]
        growth = np.cumprod(1.0 + returns[start:stop], axis=0)
        values = growth @ weights[k] * value
        equity.extend(values.tolist())
        value = float(values[-1])
    return np.asarray(equity)


def objective(task: Task, solution: np.ndarray, inputs: BenchInputs) -> float:
    """Objective value of ``solution`` for ``task`` on ``inputs`` (independent NumPy code)."""
    mu = inputs.mu.to_numpy()
    cov = inputs.cov.to_numpy()
    if task in (Task.T1,):
        return variance(solution, cov)
    if task is Task.T2:
        return sharpe(solution, mu, cov)
    if task is Task.T4:
        return variance(solution, ledoit_wolf_cov(inputs.returns))
    if task is Task.T6:
        return cvar(solution, inputs.returns.to_numpy())
    if task is Task.T7:
        return window_variance_mean(solution, inputs.returns.to_numpy())
    if task is Task.T8:
        return utility(solution, mu, cov)
    raise ValueError(f"no scalar objective for {task}")


def frontier_gap(peer: np.ndarray, reference: np.ndarray, inputs: BenchInputs) -> float:
    """T3 agreement: the smallest relative volatility excess of ``peer``'s frontier points over
    ``reference``'s frontier at the same return.

    The reference portfolio at a peer point's return r is the linear interpolation of the two
    reference *weight vectors* bracketing r: it is feasible and has return exactly r, so its
    volatility is an upper bound of the reference frontier there (exact between corner
    portfolios, slightly high across one). Negative means the peer found a point with lower
    volatility than the reference frontier (by at least that much, up to interpolation).
    """
    return frontier_gaps(peer, reference, inputs)[0]


def frontier_gaps(
    peer: np.ndarray, reference: np.ndarray, inputs: BenchInputs
) -> tuple[float, int | None]:
    """:func:`frontier_gap` and the row of ``peer`` where it is attained (None if none)."""
    mu = inputs.mu.to_numpy()
    cov = inputs.cov.to_numpy()
    order = np.argsort(reference @ mu)
    ref_w = reference[order]
    ref_r = ref_w @ mu
    gaps: list[float] = []
    rows: list[int] = []
    for row, w in enumerate(peer):
        r = float(w @ mu)
        if r < ref_r[0] - 1e-12 or r > ref_r[-1] + 1e-12:
            continue
        j = int(np.clip(np.searchsorted(ref_r, r), 1, len(ref_r) - 1))
        span = ref_r[j] - ref_r[j - 1]
        a = 0.0 if span <= 0 else (r - ref_r[j - 1]) / span
        w_ref = (1.0 - a) * ref_w[j - 1] + a * ref_w[j]
        gaps.append(float(np.sqrt(w @ cov @ w) / np.sqrt(w_ref @ cov @ w_ref) - 1.0))
        rows.append(row)
    if not gaps:
        return float("nan"), None
    k = int(np.argmin(gaps))
    return gaps[k], rows[k]


def check_weights(task: Task, solution: np.ndarray, tol: float = 1e-7) -> str | None:
    """A note when ``solution`` breaks the task's constraints (budget, bounds) by more than
    ``tol``: solver tolerances let some peers buy a slightly better objective that way."""
    ws = np.atleast_2d(solution)
    upper = MAX_WEIGHT_T2 if task is Task.T2 else 1.0
    if np.any(~np.isfinite(ws)):
        return "non-finite weights"
    if np.max(np.abs(ws.sum(axis=1) - 1.0)) > tol:
        return f"budget off by {np.max(np.abs(ws.sum(axis=1) - 1.0)):.1e}"
    if ws.min() < -tol or ws.max() > upper + tol:
        return f"bounds broken (min {ws.min():.2e}, max {ws.max():.4f})"
    return None


# ----------------------------------------------------------------------------- the floor
#
# The linear-algebra floor: closed-form *unconstrained* (budget-only) portfolios, easier than
# T1/T2 (no long-only or position limits), one Cholesky factorisation and a triangular solve:
# what touching the N x N covariance costs at least. Both run on one BLAS thread (multi-threaded
# BLAS on a loaded machine would make the floor meaningless).

_CONTROLLER = ThreadpoolController()  # built once: inspecting the BLAS libraries costs ms


def min_variance_unconstrained(cov: np.ndarray) -> np.ndarray:
    """Global minimum-variance weights Σ⁻¹1 / 1'Σ⁻¹1 (sum to 1, shorts allowed)."""
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        return _min_variance(cov)


def _min_variance(cov: np.ndarray) -> np.ndarray:
    factor = cho_factor(cov, lower=True, check_finite=False)
    raw = cho_solve(factor, np.ones(cov.shape[0]), check_finite=False)
    return raw / raw.sum()


def tangency_unconstrained(cov: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Maximum-Sharpe (risk-free 0) weights Σ⁻¹μ / 1'Σ⁻¹μ (sum to 1, shorts allowed)."""
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        return _tangency(cov, mu)


def _tangency(cov: np.ndarray, mu: np.ndarray) -> np.ndarray:
    factor = cho_factor(cov, lower=True, check_finite=False)
    raw = cho_solve(factor, mu, check_finite=False)
    return raw / raw.sum()
