"""HRP and HERC against the peers' weights (stored by tests/resources/make_peer_references.py),
PyPortfolioOpt called directly, its published test figures, closed forms and bad input."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import EstimationError, OptimizationError
from cryptofolio.optimize.objectives.clustering import (
    distance_correlation,
    optimal_cluster_count,
)
from cryptofolio.optimize.objectives.hierarchical import (
    HierarchicalEqualRiskContribution,
    HierarchicalRiskParity,
    historical_cvar,
)

RESOURCES = Path(__file__).parents[2] / "resources"


@cache
def _json(name: str) -> dict:
    return json.loads((RESOURCES / name).read_text())


@cache
def panel(name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    p = _json("peer_panels.json")[name]
    returns = np.array(p["returns"])
    return p["assets"], returns, np.cov(returns, rowvar=False) * 365


def _cases():
    ref = _json("peer_hierarchical.json")
    for name, data in ref["panels"].items():
        for i, case in enumerate(data["cases"]):
            cfg = case["config"]
            cid = (
                f"{name}-{cfg['model']}-{cfg['linkage']}-{cfg['distance']}-"
                f"{'olo' if cfg['leaf_order'] else 'tree'}-{cfg['risk_measure']}-k{cfg['n_clusters']}"
            )
            yield pytest.param(name, i, id=cid)


def _spec(cfg: dict):
    cfg = dict(cfg)
    model, k = cfg.pop("model"), cfg.pop("n_clusters")
    if model == "hrp":
        return HierarchicalRiskParity(**cfg)
    return HierarchicalEqualRiskContribution(**cfg, n_clusters=k)


@pytest.mark.parametrize(("name", "index"), list(_cases()))
def test_weights_equal_the_peers(name: str, index: int) -> None:
    case = _json("peer_hierarchical.json")["panels"][name]["cases"][index]
    _, returns, cov = panel(name)
    w = _spec(case["config"]).weights(cov, returns)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w >= 0).all()
    for peer, expected in case["weights"].items():
        np.testing.assert_allclose(w, expected, rtol=0, atol=1e-8, err_msg=peer)


@pytest.mark.parametrize("linkage", ["single", "average", "complete", "ward"])
def test_equals_pyportfolioopt_hrpopt_called_directly(linkage: str) -> None:
    from pypfopt import HRPOpt

    assets, returns, cov = panel("coingecko")
    frame = pd.DataFrame(returns, columns=assets)
    expected = HRPOpt(returns=frame).optimize(linkage_method=linkage)
    w = HierarchicalRiskParity(linkage=linkage).weights(cov)
    np.testing.assert_allclose(w, [expected[a] for a in assets], rtol=0, atol=1e-8)


def test_pyportfolioopt_published_figures() -> None:
    """PyPortfolioOpt's tests/test_hrp.py on its stock_prices.csv (ragged: pairwise statistics),
    recomputed by running HRPOpt; our kernels on the same correlation and covariance."""
    from cryptofolio.optimize.objectives.clustering import (
        distance_matrix,
        linkage_matrix,
        quasi_diagonal_order,
    )
    from cryptofolio.optimize.objectives.hierarchical import hrp_weights

    ref = _json("pypfopt_hrp_published.json")
    cov = np.array(ref["returns_cov"])
    order = quasi_diagonal_order(linkage_matrix(distance_matrix(np.array(ref["returns_corr"]))))
    w = hrp_weights(cov, order)
    np.testing.assert_allclose(w, ref["hrp_single"], rtol=0, atol=1e-8)
    # the weights file of PyPortfolioOpt's repository, at its test's tolerance
    np.testing.assert_allclose(w, ref["hrp_single_published_csv"], rtol=1e-2)
    # test_portfolio_performance's published volatility (daily covariance * 252)
    assert np.sqrt(w @ (cov * 252) @ w) == pytest.approx(0.17844159743748936, abs=1e-12)
    # test_pass_cov_matrix: HRP from a Ledoit-Wolf covariance alone
    shrunk = np.array(ref["ledoit_wolf_cov"])
    w_lw = HierarchicalRiskParity().weights(shrunk)
    np.testing.assert_allclose(w_lw, ref["hrp_single_ledoit_wolf"], rtol=0, atol=1e-8)
    assert np.sqrt(w_lw @ shrunk @ w_lw) == pytest.approx(0.10002783894982334, abs=1e-12)


def test_two_assets_get_inverse_variance_weights() -> None:
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    expected = np.array([0.09, 0.04]) / 0.13
    for spec in (HierarchicalRiskParity(), HierarchicalEqualRiskContribution(n_clusters=2)):
        np.testing.assert_allclose(spec.weights(cov), expected, rtol=1e-14)


def test_uncorrelated_blocks_closed_form() -> None:
    """Two uncorrelated pairs of identical assets: each pair gets half the risk, so weights
    are inversely proportional to the pair's variance of its equal-weight portfolio."""
    a, b = 0.04, 0.16
    block = lambda v: v * np.array([[1.0, 0.5], [0.5, 1.0]])  # noqa: E731
    cov = np.zeros((4, 4))
    cov[:2, :2], cov[2:, 2:] = block(a), block(b)
    va, vb = 0.75 * a, 0.75 * b  # variance of (1/2, 1/2) in each pair
    left = 1 - va / (va + vb)
    expected = np.array([left / 2, left / 2, (1 - left) / 2, (1 - left) / 2])
    np.testing.assert_allclose(HierarchicalRiskParity().weights(cov), expected, rtol=1e-14)
    herc = HierarchicalEqualRiskContribution(n_clusters=2)
    np.testing.assert_allclose(herc.weights(cov), expected, rtol=1e-14)


def test_historical_cvar_counts_the_boundary_period_fractionally() -> None:
    r = np.array([-0.10, -0.05, 0.0, 0.02, 0.03, 0.01, 0.04, -0.02, 0.05, 0.06])
    # worst 25 % of 10 periods = 2.5 periods: -0.10, -0.05 and half of -0.02
    assert historical_cvar(r, 0.75) == pytest.approx((0.10 + 0.05 + 0.5 * 0.02) / 2.5)
    assert historical_cvar(r, 0.9) == pytest.approx(0.10)


def test_distance_correlation_closed_forms() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(200)
    dcor = distance_correlation(np.column_stack([x, 3 * x + 1, -x, rng.standard_normal(200)]))
    np.testing.assert_allclose(dcor[0, 1:3], 1.0, atol=1e-12)  # affine maps: dCor = 1
    assert dcor[0, 3] < 0.3
    np.testing.assert_allclose(dcor, dcor.T)


def test_optimal_cluster_count_finds_planted_blocks() -> None:
    rng = np.random.default_rng(5)
    f = rng.standard_normal((500, 3))
    x = np.repeat(f, 4, axis=1) + 0.3 * rng.standard_normal((500, 12))
    spec = HierarchicalEqualRiskContribution(linkage="ward")
    tree = spec.tree(np.cov(x, rowvar=False), x)
    assert optimal_cluster_count(tree.distance, tree.linkage) == 3


def test_zero_variance_asset_is_a_clear_error() -> None:
    cov = np.diag([0.04, 0.0, 0.09])
    with pytest.raises(EstimationError, match=r"singular covariance.*zero variance for ETH"):
        HierarchicalRiskParity().tree(cov, assets=["BTC", "ETH", "SOL"])
    with pytest.raises(EstimationError, match="zero variance for asset 1"):
        HierarchicalRiskParity().weights(cov)


def test_rank_distances_and_cvar_need_returns() -> None:
    cov = np.eye(3) * 0.04
    with pytest.raises(EstimationError, match="spearman distance needs the periodic returns"):
        HierarchicalRiskParity(distance="spearman").weights(cov)
    with pytest.raises(EstimationError, match="cvar risk measure needs the periodic returns"):
        HierarchicalEqualRiskContribution(risk_measure="cvar").weights(cov)


def test_unknown_options_are_clear_errors() -> None:
    with pytest.raises(OptimizationError, match="unknown linkage 'centroid'; use one of single"):
        HierarchicalRiskParity(linkage="centroid")
    with pytest.raises(OptimizationError, match="unknown distance 'kendall'"):
        HierarchicalRiskParity(distance="kendall")
    with pytest.raises(OptimizationError, match="n_clusters must be an integer >= 1"):
        HierarchicalEqualRiskContribution(n_clusters=0)


def test_dendrogram_picture(tmp_path: Path) -> None:
    from cryptofolio.report.dendrogram import plot_dendrogram

    assets, returns, cov = panel("coingecko")
    spec = HierarchicalRiskParity(leaf_order=True)
    tree = spec.tree(cov, returns, assets)
    w = pd.Series(spec.weights(cov, returns), index=assets)
    fig = plot_dendrogram(tree, weights=w, path=tmp_path / "tree.png")
    assert (tmp_path / "tree.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    labels = [t.get_text() for t in fig.axes[2].get_xticklabels()]  # the weights
    assert labels == [assets[i] for i in tree.order]
