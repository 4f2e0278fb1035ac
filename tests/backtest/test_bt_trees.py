"""The cluster trees of hrp/herc strategies at their last rebalance (for the report): the tree
is SciPy's linkage of the window the decision saw (computed here with pandas), its weights the
decision's; the report draws one dendrogram per hierarchical strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.cluster.hierarchy as sch
from bt_frames import daily_index, panels_from_close
from scipy.spatial.distance import squareform

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.backtest.trees import last_decision_trees
from cryptofolio.optimize import AllocatorSettings, PortfolioConfig
from cryptofolio.report.backtest_report import ReportOptions, backtest_report_html

LOOKBACK = 40


@pytest.fixture(scope="module")
def close() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 150
    common = rng.normal(0, 0.02, size=(n, 1))
    rets = common * [1.0, 0.9, 0.2, 0.1, 0.5] + rng.normal(0, 0.02, size=(n, 5))
    frame = pd.DataFrame(
        100 * np.exp(np.cumsum(rets, axis=0)), index=daily_index(n), columns=list("ABCDE")
    )
    frame.iloc[:30, 4] = np.nan  # E lists late
    return frame


@pytest.mark.parametrize("window", ["rolling", "expanding"])
def test_the_tree_is_the_last_decisions(close, window):
    strategies = [
        make_strategy(
            "hrp", config=PortfolioConfig(allocator=AllocatorSettings(linkage="average"))
        ),
        make_strategy("min-variance"),
    ]
    config = BacktestConfig(rebalance="7d", lookback=LOOKBACK, window=window, start="2021-02-20")
    panels = panels_from_close(close)
    result = run_backtest(panels, strategies, config)
    trees = last_decision_trees(result, strategies, panels)
    assert set(trees) == {"hrp"}
    found = trees["hrp"]
    targets = result.strategies["hrp"].targets
    assert found.timestamp == targets.index[-1]
    decided = targets.iloc[-1].drop("cash", errors="ignore").dropna()
    pd.testing.assert_series_equal(
        found.weights.sort_index(), decided[decided > 0].sort_index(), check_names=False
    )
    before = close.loc[close.index < found.timestamp, list(found.tree.assets)]
    seen = before.tail(LOOKBACK) if window == "rolling" else before.dropna()
    corr = seen.pct_change().iloc[1:].corr().to_numpy()
    dist = np.sqrt(np.clip((1 - corr) / 2, 0, None))
    np.fill_diagonal(dist, 0)
    expected = sch.linkage(squareform(dist, checks=False), "average")
    np.testing.assert_allclose(found.tree.linkage, expected, atol=1e-12)


def test_the_report_draws_one_dendrogram_per_hierarchical_strategy(close):
    strategies = [make_strategy("hrp"), make_strategy("herc"), make_strategy("equal-weight")]
    config = BacktestConfig(rebalance="7d", lookback=LOOKBACK, start="2021-02-20")
    panels = panels_from_close(close)
    result = run_backtest(panels, strategies, config)
    trees = last_decision_trees(result, strategies, panels)
    page = backtest_report_html(result, options=ReportOptions(cluster_trees=trees))
    assert page.count("Cluster tree: ") == 2
    assert "Cluster tree: herc (last rebalance " in page
    assert "Cluster tree" not in backtest_report_html(result)


def test_dendrogram_figure_labels_the_leaves_with_their_weights(close):
    from cryptofolio.report.dendrogram import dendrogram_figure

    strategies = [make_strategy("hrp")]
    panels = panels_from_close(close)
    config = BacktestConfig(rebalance="7d", lookback=LOOKBACK, start="2021-02-20")
    found = last_decision_trees(run_backtest(panels, strategies, config), strategies, panels)["hrp"]
    fig = dendrogram_figure(found.tree, weights=found.weights)
    leaves = sch.dendrogram(found.tree.linkage, labels=list(found.tree.assets), no_plot=True)["ivl"]
    expected = [f"{a}<br>{100 * found.weights[a]:.1f}%" for a in leaves]
    assert list(fig.layout.xaxis.ticktext) == expected
    assert len(fig.data) == len(found.tree.assets) - 1  # one link per merge
