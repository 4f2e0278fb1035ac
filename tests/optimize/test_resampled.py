"""Resampled (Michaud) frontier: rank averaging, feasibility, never above the classic frontier
(checked with an independent efficient-return solve), reproducibility, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import EstimationError, InfeasibleError
from cryptofolio.optimize import Constraints, Objective, efficient_frontier, optimize_portfolio
from cryptofolio.optimize.resampled import resampled_frontier

PPY = 365.0


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n, t = 6, 250
    f = rng.standard_normal((t, 1)) * 0.02
    x = f * rng.uniform(0.5, 1.5, n) + rng.standard_normal((t, n)) * rng.uniform(0.01, 0.04, n)
    return pd.DataFrame(x + np.linspace(0.0, 0.002, n), columns=[f"C{i}" for i in range(n)])


def _moments(x: np.ndarray, columns) -> tuple[pd.DataFrame, pd.Series]:
    cov = pd.DataFrame(np.cov(x, rowvar=False) * PPY, index=columns, columns=columns)
    return cov, pd.Series(x.mean(axis=0) * PPY, index=columns)


def test_one_bootstrap_sample_is_that_sample_frontier(returns) -> None:
    res = resampled_frontier(returns, resamples=1, points=8, method="bootstrap", seed=3)
    x = returns.to_numpy()
    rows = np.random.default_rng(3).integers(0, len(x), size=len(x))
    cov, mu = _moments(x[rows], returns.columns)
    expected = efficient_frontier(cov, mu, points=8).weights
    np.testing.assert_allclose(res.weights.to_numpy(), expected.to_numpy(), atol=1e-12)


def test_rank_average_is_the_mean_of_the_sample_frontiers(returns) -> None:
    seen = []
    res = resampled_frontier(
        returns, resamples=3, points=6, method="bootstrap", seed=5, progress=seen.append
    )
    assert seen == [1, 2, 3]
    x = returns.to_numpy()
    rng = np.random.default_rng(5)
    frontiers = []
    for _ in range(3):
        cov, mu = _moments(x[rng.integers(0, len(x), size=len(x))], returns.columns)
        frontiers.append(efficient_frontier(cov, mu, points=6).weights.to_numpy())
    np.testing.assert_allclose(res.weights.to_numpy(), np.mean(frontiers, axis=0), atol=1e-12)


@pytest.mark.parametrize("method", ["bootstrap", "parametric"])
def test_feasible_and_never_above_the_classic_frontier(returns, method) -> None:
    cons = Constraints(max_weight=0.5)
    res = resampled_frontier(
        returns, resamples=20, points=10, method=method, constraints=cons, seed=1
    )
    w = res.weights.to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    assert (w >= -1e-9).all() and (w <= 0.5 + 1e-9).all()
    cov, mu = _moments(returns.to_numpy(), returns.columns)
    for ret, vol in res.points[["return", "volatility"]].to_numpy():
        best = optimize_portfolio(
            cov, mu, objective=Objective.EFFICIENT_RETURN, constraints=cons, target_return=ret
        )
        assert vol >= best.volatility - 1e-9
    # the points are the averaged weights evaluated under the original estimates
    np.testing.assert_allclose(res.points["return"], w @ mu.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        res.classic.points, efficient_frontier(cov, mu, points=10, constraints=cons).points
    )


def test_seeded_runs_repeat(returns) -> None:
    a = resampled_frontier(returns, resamples=4, points=5, seed=9)
    b = resampled_frontier(returns, resamples=4, points=5, seed=9)
    pd.testing.assert_frame_equal(a.weights, b.weights)


def test_bad_input(returns) -> None:
    with pytest.raises(InfeasibleError, match="resamples must be an integer >= 1"):
        resampled_frontier(returns, resamples=0)
    with pytest.raises(ValueError, match="'jackknife' is not a valid ResamplingMethod"):
        resampled_frontier(returns, method="jackknife")
    bad = returns.copy()
    bad.iloc[3, 2] = np.nan
    with pytest.raises(EstimationError, match="finite returns"):
        resampled_frontier(bad, resamples=2)


def test_picture(returns, tmp_path: Path) -> None:
    from cryptofolio.report.resampled_frontier import plot_resampled_frontier

    res = resampled_frontier(returns, resamples=3, points=6, seed=2)
    fig = plot_resampled_frontier(res, path=tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "classic",
        "resampled (3 samples)",
    ]
