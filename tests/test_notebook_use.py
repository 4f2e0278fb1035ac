"""The notebook user (issue 21): ``load_prices`` gives the wide closes in the order asked; a
user's own wide frame goes straight into ``run_backtest``; numpy arrays into
``optimize_portfolio`` (labels by position, with a note); ``make_strategy`` takes constraint
keywords; results have a short repr and an HTML view."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cryptofolio.data as data_module
from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.data import load_dataset, load_prices, standardize_long, to_panels
from cryptofolio.data.spellings import SymbolNote
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import (
    Objective,
    PositionalLabelsNote,
    build_portfolio,
    optimize_portfolio,
)

BUNDLED = data_module.__file__.replace("__init__.py", "_bundled/coingecko-daily.parquet")


def _wide(columns=("BTC", "ETH", "SOL"), n=300, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=n, freq="D")  # naive: read as UTC
    values = np.exp(np.cumsum(rng.normal(0.001, 0.02, (n, 3)), axis=0)) * [30_000, 2_000, 40]
    return pd.DataFrame(values, index=index, columns=list(columns))


def test_load_prices_is_the_wide_close_in_the_order_asked():
    close = load_prices(["SOL", "btc", "ETH"], start="2023-01-01", end="2023-03-31")
    assert list(close.columns) == ["SOL", "BTC", "ETH"]
    assert str(close.index.tz) == "UTC" and close.index.is_monotonic_increasing
    raw = pd.read_parquet(BUNDLED)  # the bundled file itself, pivoted by pandas
    raw = raw[raw["symbol"].isin(["SOL", "BTC", "ETH"])]
    ref = raw.pivot(index="timestamp", columns="symbol", values="close")
    ref.index = pd.to_datetime(ref.index, utc=True)
    ref = ref.loc["2023-01-01":"2023-03-31", ["SOL", "BTC", "ETH"]]
    np.testing.assert_array_equal(close.to_numpy(), ref.to_numpy())


def test_a_wide_frame_backtests_as_its_long_form_does():
    wide = _wide()
    config = BacktestConfig(rebalance="monthly", lookback=60)
    strategies = [make_strategy("equal-weight"), make_strategy("btc-hold")]
    direct = run_backtest(wide, strategies, config)
    long = wide.rename_axis("timestamp").reset_index().melt("timestamp", var_name="symbol")
    long = standardize_long(long.rename(columns={"value": "close"}))  # the documented long path
    via_long = run_backtest(to_panels(long), strategies, config)
    pd.testing.assert_frame_equal(direct.equity(), via_long.equity(), check_freq=False)
    # btc-hold: bought at the first decision's close with the 10 bps fee, then held
    btc = wide["BTC"].tz_localize("UTC")
    total = btc[direct.end] / btc[direct.start] / 1.001 - 1
    assert direct.metrics().loc["btc-hold", "total_return"] == pytest.approx(total, rel=1e-9)


def test_a_wide_frame_of_yfinance_names_is_read_as_assets():
    wide = _wide(columns=("BTC-USD", "ETH-USD", "SOL-USD"))
    with pytest.warns(SymbolNote, match="BTC-USD as BTC"):
        result = run_backtest(wide, make_strategy("btc-hold"), BacktestConfig(lookback=30))
    assert result.strategies["btc-hold"].weights["BTC"].iloc[-1] > 0.99


def test_numpy_arrays_are_labelled_by_position_with_a_note():
    S = np.array([[0.04, 0.006, 0.0], [0.006, 0.09, 0.01], [0.0, 0.01, 0.16]])
    with pytest.warns(PositionalLabelsNote, match="labelled by position"):
        result = optimize_portfolio(S, objective=Objective.MIN_VARIANCE)
    assert list(result.weights.index) == ["asset0", "asset1", "asset2"]
    inv = np.linalg.solve(S, np.ones(3))  # closed form (long-only holds: every weight > 0)
    np.testing.assert_allclose(result.weights.to_numpy(), inv / inv.sum(), atol=1e-9)
    mu = pd.Series([0.1, 0.2, 0.3], index=["BTC", "ETH", "SOL"])
    with pytest.warns(PositionalLabelsNote):
        labelled = optimize_portfolio(S, mu, objective="max-sharpe")
    assert list(labelled.weights.index) == ["BTC", "ETH", "SOL"]


def test_labelled_inputs_give_no_note():
    S = pd.DataFrame(np.eye(2) * 0.04, index=["BTC", "ETH"], columns=["BTC", "ETH"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PositionalLabelsNote)
        optimize_portfolio(S)


def test_make_strategy_takes_constraint_and_config_keywords():
    strategy = make_strategy("max-sharpe", max_weight=0.5, risk_model="ledoit-wolf")
    assert strategy.config.constraints.max_weight == 0.5
    assert str(strategy.config.risk_model) == "ledoit-wolf"
    assert str(strategy.config.objective) == "max-sharpe"
    result = run_backtest(
        _wide(), make_strategy("min-variance", max_weight=0.4), BacktestConfig(lookback=60)
    )
    assert result.strategies["min-variance"].targets.max().max() <= 0.4 + 1e-9
    with pytest.raises(BacktestError, match=r"unknown option\(s\) max_wieght.*max_weight"):
        make_strategy("max-sharpe", max_wieght=0.5)


def test_results_read_well_in_a_notebook():
    close = load_prices(["BTC", "ETH", "SOL"], start="2023-01-01").dropna()
    portfolio = build_portfolio(close)
    text = repr(portfolio)
    assert text.startswith("PortfolioResult(min-variance, optimal: ") and "\n" not in text
    assert len(text) < 200 and "Sharpe" in text
    assert "<table" in portfolio._repr_html_() and "BTC" in portfolio._repr_html_()
    backtest = run_backtest(
        to_panels(load_dataset("coingecko-daily", symbols=["BTC", "ETH"], start="2022-01-01")),
        make_strategy("equal-weight"),
        BacktestConfig(lookback=60, rebalance="monthly"),
    )
    text = repr(backtest)
    assert text.startswith("BacktestResult(") and "equal-weight" in text and "\n" not in text
    page = backtest._repr_html_()
    assert "<table" in page and "total_return" in page and "%" in page
