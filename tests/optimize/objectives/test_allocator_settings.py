"""AllocatorSettings: the settings reach the hierarchical and risk-budgeting specs through a
PortfolioConfig (and so a backtest strategy), the others ignore them, bad settings are errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.backtest import make_strategy
from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize import (
    AllocatorSettings,
    HierarchicalEqualRiskContribution,
    HierarchicalRiskParity,
    MinVariance,
    PortfolioConfig,
    RiskBudgeting,
    build_portfolio,
    parse_risk_budgets,
)

SETTINGS = AllocatorSettings(
    linkage="ward",
    distance="spearman",
    leaf_order=True,
    risk_measure="cvar",
    n_clusters=2,
    risk_budgets={"A": 0.5, "B": 0.3, "C": 0.2},
)


def test_each_objective_takes_the_settings_it_has():
    spec = lambda name: PortfolioConfig(  # noqa: E731
        objective=name, allocator=SETTINGS, cvar_alpha=0.9
    ).objective_spec()
    common = dict(linkage="ward", distance="spearman", leaf_order=True, risk_measure="cvar")
    assert spec("hrp") == HierarchicalRiskParity(**common, cvar_beta=0.9)
    assert spec("herc") == HierarchicalEqualRiskContribution(**common, cvar_beta=0.9, n_clusters=2)
    assert spec("risk-parity") == RiskBudgeting(budgets={"A": 0.5, "B": 0.3, "C": 0.2})
    assert spec("min-variance") == MinVariance()
    assert PortfolioConfig(objective="hrp").objective_spec() == HierarchicalRiskParity()


def test_build_portfolio_and_strategies_use_them():
    rng = np.random.default_rng(3)
    index = pd.date_range("2022-01-01", periods=120, freq="D", tz="UTC")
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.03, size=(120, 3)), axis=0)),
        index=index,
        columns=["A", "B", "C"],
    )
    config = PortfolioConfig(objective="risk-parity", allocator=SETTINGS)
    result = build_portfolio(prices, config)
    np.testing.assert_allclose(result.risk_contributions.to_numpy(), [0.5, 0.3, 0.2], atol=1e-12)
    strategy = make_strategy("risk-parity", config=PortfolioConfig(allocator=SETTINGS))
    assert strategy.config.objective_spec() == RiskBudgeting(budgets=SETTINGS.risk_budgets)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"linkage": "median"}, "unknown linkage 'median'"),
        ({"distance": "kendall"}, "unknown distance 'kendall'"),
        ({"n_clusters": 0}, "n_clusters must be an integer >= 1"),
        ({"risk_budgets": {"A": 2.0, "B": 1.0}}, "must sum to 1"),
        ({"risk_budgets": {"A": 1.2, "B": -0.2}}, "positive fractions; not so for B"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(InfeasibleError, match=match):
        AllocatorSettings(**kwargs)


def test_parse_risk_budgets(tmp_path):
    assert parse_risk_budgets("btc=0.6, eth=0.4") == {"BTC": 0.6, "ETH": 0.4}
    path = tmp_path / "b.csv"
    path.write_text("asset,weight\nBTC,1\n")
    with pytest.raises(InfeasibleError, match="the header must be asset,budget"):
        parse_risk_budgets(str(path))
    with pytest.raises(InfeasibleError, match="BTC is given twice"):
        parse_risk_budgets("BTC=0.5,btc=0.5")
