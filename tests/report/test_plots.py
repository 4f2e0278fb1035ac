"""Light checks of the pictures: artists, labels and units present, PNG written."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from cryptofolio.optimize import Frontier, Objective, PortfolioResult
from cryptofolio.report import (
    plot_correlation,
    plot_covariance,
    plot_efficient_frontier,
    plot_expected_returns,
    plot_weights,
)

ASSETS = ["BTC", "ETH", "SOL"]


@pytest.fixture
def cov() -> pd.DataFrame:
    vol = np.array([0.6, 0.8, 1.1])
    corr = np.array([[1, 0.8, 0.6], [0.8, 1, 0.7], [0.6, 0.7, 1]])
    return pd.DataFrame(corr * np.outer(vol, vol), index=ASSETS, columns=ASSETS)


@pytest.fixture
def mu() -> pd.Series:
    return pd.Series([0.5, 0.7, -0.2], index=ASSETS)


def _portfolio(w, cov, mu, objective):
    w = pd.Series(w, index=ASSETS)
    ret = float(w @ mu)
    vol = float(np.sqrt(w @ cov @ w))
    return PortfolioResult(w, ret, vol, ret / vol, objective)


def _is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_frontier_picture(tmp_path, cov, mu):
    points = pd.DataFrame(
        {"return": [0.5, 0.6, 0.7], "volatility": [0.6, 0.65, 0.8], "sharpe": [0.8, 0.9, 0.87]}
    )
    frontier = Frontier(points=points, weights=pd.DataFrame(np.eye(3), columns=ASSETS))
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(3), 200)
    cloud = pd.DataFrame(
        {"return": w @ mu, "volatility": np.sqrt(np.einsum("ij,jk,ik->i", w, cov, w))}
    )
    cloud["sharpe"] = cloud["return"] / cloud["volatility"]
    mv = _portfolio([1, 0, 0], cov, mu, Objective.MIN_VARIANCE)
    ms = _portfolio([0.2, 0.8, 0], cov, mu, Objective.MAX_SHARPE)
    path = tmp_path / "out" / "frontier.png"
    fig = plot_efficient_frontier(
        frontier, cov, mu, random=cloud, min_variance=mv, max_sharpe=ms, path=path
    )
    assert isinstance(fig, Figure) and _is_png(path)
    ax = fig.axes[0]
    assert "annualised" in ax.get_xlabel() and "%" in ax.get_xlabel()
    assert "annualised" in ax.get_ylabel() and "%" in ax.get_ylabel()
    assert {t.get_text() for t in ax.texts} >= set(ASSETS)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("min variance" in s for s in labels) and any("max Sharpe" in s for s in labels)
    assert any("random portfolios (200)" in s for s in labels)
    clouds = [
        c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) == 200
    ]
    assert clouds and clouds[0].get_array() is not None  # coloured by Sharpe
    assert fig.axes[1].get_ylabel().startswith("Sharpe")
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "efficient frontier")
    np.testing.assert_allclose(line.get_xdata(), points["volatility"])


def test_heatmaps_have_asset_labels(tmp_path, cov):
    fig = plot_covariance(cov, path=tmp_path / "cov.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ASSETS
    assert [t.get_text() for t in ax.get_yticklabels()] == ASSETS
    assert "0.36" in {t.get_text() for t in ax.texts}  # BTC variance 0.6**2
    assert _is_png(tmp_path / "cov.png")
    fig = plot_correlation(cov, path=tmp_path / "corr.png")
    assert {"1.00", "0.80", "0.70"} <= {t.get_text() for t in fig.axes[0].texts}
    assert fig.axes[0].images[0].get_clim() == (-1.0, 1.0)


def test_bar_charts(tmp_path, mu):
    fig = plot_expected_returns(mu, path=tmp_path / "mu.png")
    ax = fig.axes[0]
    assert "annualised" in ax.get_ylabel() and "%" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ETH", "BTC", "SOL"]  # sorted
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.7, 0.5, -0.2])
    fig = plot_weights({"BTC": 0.6, "ETH": 0.5, "SOL": -0.1}, path=tmp_path / "w")
    assert (tmp_path / "w.png").exists()
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "-10.0%" in labels and "60.0%" in labels
