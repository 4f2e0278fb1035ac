"""The cluster trees of a backtest's hierarchical strategies (hrp, herc) at their last rebalance,
for the report's dendrograms.

The tree is rebuilt from the data the decision saw: the strategy's own configuration on the
closes of the assets it chose, over the window before that rebalance (the last ``lookback``
rows, or with an expanding window the trailing rows where every one of them has a price). It is
kept only when that rebuild gives the recorded decision back (to 1e-9): a tree is never drawn
for weights it did not produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.backtest.config import BacktestConfig, WindowKind
from cryptofolio.backtest.results import BacktestResult
from cryptofolio.backtest.strategies import OptimizerStrategy
from cryptofolio.data import Panels
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import Window
from cryptofolio.optimize import build_portfolio, cluster_tree, estimation_inputs
from cryptofolio.optimize.objectives.hierarchical import ClusterTree, HierarchicalSpec


@dataclass(frozen=True)
class DecisionTree:
    """The tree of one decision: ``tree``, the ``weights`` decided (fractions by asset) and
    the rebalance ``timestamp`` (UTC)."""

    tree: ClusterTree
    weights: pd.Series
    timestamp: pd.Timestamp


def last_decision_trees(
    result: BacktestResult, strategies: Sequence[object], panels: Panels
) -> dict[str, DecisionTree]:
    """The tree of each hierarchical :class:`OptimizerStrategy` of ``strategies`` at its last
    rebalance in ``result`` (``panels``: the data the backtest ran on); strategies whose last
    decision cannot be rebuilt exactly (a fallback, a window with gaps) are left out."""
    out: dict[str, DecisionTree] = {}
    for strategy in strategies:
        if not isinstance(strategy, OptimizerStrategy):
            continue
        if not isinstance(strategy.config.objective_spec(), HierarchicalSpec):
            continue
        found = _last_tree(result, strategy, panels)
        if found is not None:
            out[strategy.name] = found
    return out


def _last_tree(
    result: BacktestResult, strategy: OptimizerStrategy, panels: Panels
) -> DecisionTree | None:
    run = result.strategies.get(strategy.name)
    if run is None:
        return None
    decided = run.targets.drop(columns=["cash"], errors="ignore").dropna(how="all")
    if decided.empty:
        return None
    when = decided.index[-1]
    row = decided.loc[when].fillna(0.0)
    chosen = row[row > 0]
    prices = _window(panels.close, list(chosen.index), when, result.config)
    if prices is None:
        return None
    config = strategy.config
    try:
        rebuilt = build_portfolio(prices, config).weights
        inputs = estimation_inputs(Window(prices, prices.index[0], prices.index[-1]), config)
        tree = cluster_tree(inputs, config)
    except CryptofolioError:
        return None
    if not np.allclose(rebuilt.reindex(chosen.index).to_numpy(), chosen.to_numpy(), atol=1e-9):
        return None
    return DecisionTree(tree=tree, weights=chosen.astype(float), timestamp=pd.Timestamp(when))


def _window(
    close: pd.DataFrame, assets: list[str], when: pd.Timestamp, config: BacktestConfig
) -> pd.DataFrame | None:
    """The closes of ``assets`` the decision at ``when`` estimated on, or ``None`` when the
    rows before it have gaps there."""
    before = close.loc[close.index < when, assets]
    clean = (np.isfinite(before.to_numpy()) & (before.to_numpy() > 0)).all(axis=1)
    if config.window is WindowKind.ROLLING:
        window = before.tail(config.lookback)
        ok = len(window) == config.lookback and clean[-config.lookback :].all()
        return window if ok else None
    run = len(clean) - (np.flatnonzero(~clean)[-1] + 1 if (~clean).any() else 0)
    return before.tail(run) if run >= 3 else None
