"""The engine's and the context's shortcuts give what the plain pandas expressions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import BacktestConfig, DecisionContext, OptimizerStrategy, run_backtest
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import Constraints, PortfolioConfig

CLOSE = pd.DataFrame(
    {
        "A": [10.0, 11, 12, 13, 12, 11, 12, 13],
        "B": [20.0, 19, 18, 19, 20, 21, 22, 23],
        "C": [5.0, 5, 6, 6, 7, 6, 5, 6],
    },
    index=daily_index(8),
)


def _context(eligible: tuple[str, ...], lookback: int) -> DecisionContext:
    return DecisionContext(
        timestamp=CLOSE.index[-1],
        history=panels_from_close(CLOSE.iloc[:-1]),
        eligible=eligible,
        lookback=lookback,
        current_weights=pd.Series(dtype=float),
    )


@pytest.mark.parametrize(
    "eligible",
    [("A", "B", "C"), ("A", "C"), ("C", "A"), ("B",), ("C", "B", "A"), ()],
)
@pytest.mark.parametrize("lookback", [0, 1, 3, 7, 50])
def test_context_prices_match_the_label_selection(eligible, lookback):
    ctx = _context(eligible, lookback)
    expected = ctx.history.close[list(eligible)].tail(lookback)
    pd.testing.assert_frame_equal(ctx.prices, expected)


def test_context_prices_unknown_asset_is_a_key_error():
    with pytest.raises(KeyError, match="Z"):
        _ = _context(("A", "Z"), 3).prices


class _Returns:
    name = "fixed-answer"

    def __init__(self, answer: pd.Series) -> None:
        self.answer = answer

    def target_weights(self, context):
        return self.answer


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (pd.Series([0.5, 0.5], index=["A", "A"]), "duplicate assets"),
        (pd.Series([0.5, 0.0, 0.0], index=["A", "Z", "Z"]), "duplicate assets"),  # unknown twice
        (pd.Series([0.5, 0.0, 0.1], index=["A", "Z", "A"]), "duplicate assets"),
        (pd.Series([0.5, 0.3], index=["A", "Z"]), "wants Z"),  # once: not a duplicate
    ],
)
def test_duplicate_and_unknown_assets_in_targets(answer, match):
    with pytest.raises(BacktestError, match=match):
        run_backtest(panels_from_close(CLOSE), _Returns(answer), BacktestConfig(lookback=2))


def test_unknown_asset_at_zero_weight_is_accepted_once():
    answer = pd.Series([0.5, 0.0, 0.5], index=["A", "Z", "B"])
    res = run_backtest(panels_from_close(CLOSE), _Returns(answer), BacktestConfig(lookback=2))
    targets = next(iter(res.strategies.values())).targets
    np.testing.assert_allclose(targets[["A", "B"]].to_numpy(), 0.5)
    np.testing.assert_allclose(targets["C"].to_numpy(), 0.0)


class _Recorder:
    """Records, at every decision, the engine's price window, the same window sliced from the
    history panels, the history itself and the current weights, then holds equal weights."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def target_weights(self, context: DecisionContext) -> pd.Series:
        sliced = context.history.close[list(context.eligible)].tail(context.lookback)
        self.seen.append((context.prices, sliced, context.history, context.timestamp))
        n = len(context.eligible)
        return pd.Series(1.0 / n if n else 0.0, index=list(context.eligible), dtype=float)


@pytest.mark.parametrize("window", ["rolling", "expanding"])
def test_engine_window_equals_history_slice_on_a_ragged_panel(window):
    """The engine builds ``context.prices`` from its arrays and slices ``history`` lazily:
    both must equal the plain pandas slices of the input panels (listings, a delisting and a
    gap included)."""
    rng = np.random.default_rng(3)
    close = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.03, size=(120, 5)), axis=0)) * 100,
        index=daily_index(120),
        columns=["A", "B", "C", "D", "E"],
    )
    close.iloc[:30, 1] = np.nan  # B lists late
    close.iloc[80:, 2] = np.nan  # C stops
    close.iloc[50:53, 3] = np.nan  # D has a gap
    panels = panels_from_close(close)
    recorder = _Recorder()
    run_backtest(panels, recorder, BacktestConfig(rebalance="5p", lookback=20, window=window))
    assert len(recorder.seen) > 15
    for prices, sliced, history, ts in recorder.seen:
        pd.testing.assert_frame_equal(prices, sliced, check_freq=False)
        cut = close.index.searchsorted(ts)
        for name in ("close", "volume", "market_cap", "open", "high", "low"):
            pd.testing.assert_frame_equal(
                getattr(history, name), getattr(panels, name).iloc[:cut], check_freq=False
            )


def _ragged_close() -> pd.DataFrame:
    """Long enough windows, and enough assets, for the summation order of the estimators to
    depend on the memory layout of the window."""
    rng = np.random.default_rng(11)
    close = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.03, size=(420, 12)), axis=0)) * 100,
        index=daily_index(420),
        columns=[f"C{j:02d}" for j in range(12)],
    )
    close.iloc[:230, 3] = np.nan  # C03 lists late
    close.iloc[330:, 1] = np.nan  # C01 stops
    return close


_CONFIG = BacktestConfig(rebalance="20p", lookback=200)


class _Optimiser:
    """Min-variance on the engine's window, and on the same window sliced from the history
    and copied the plain pandas way; records both results."""

    name = "check-optimiser"

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def target_weights(self, context: DecisionContext) -> pd.Series:
        from cryptofolio.optimize import build_portfolio

        sliced = context.history.close[list(context.eligible)].tail(context.lookback).copy()
        ours = build_portfolio(context.prices)
        plain = build_portfolio(sliced)
        self.seen.append((ours, plain, context.current_weights))
        return ours.weights


def test_engine_window_gives_the_plain_slice_portfolio_bit_for_bit():
    """The engine's window has the values and the memory layout of a copied pandas slice, so
    the estimators give the same figures to the last bit."""
    strategy = _Optimiser()
    res = run_backtest(panels_from_close(_ragged_close()), strategy, _CONFIG)
    assert len(strategy.seen) > 10
    for ours, plain, _ in strategy.seen:
        assert np.array_equal(ours.weights.to_numpy(), plain.weights.to_numpy())
        assert ours.weights.index.equals(plain.weights.index)
        assert ours.expected_return == plain.expected_return
        assert ours.volatility == plain.volatility
    targets = next(iter(res.strategies.values())).targets
    assert list(targets.columns) == list(_ragged_close().columns)


def test_current_weights_hold_exactly_the_held_assets():
    """Before each decision: the weights at the previous close of the assets held, nothing
    else (rows where a held asset's data stops, and it is liquidated first, are left out)."""
    close = _ragged_close()
    strategy = _Optimiser()
    res = run_backtest(panels_from_close(close), strategy, _CONFIG)
    result = next(iter(res.strategies.values()))
    previous = result.weights.shift(1)
    compared = 0
    for (_, _, current), ts in zip(strategy.seen, result.rebalances.index, strict=True):
        assert current.dtype == np.float64
        if ts == result.weights.index[0]:
            assert current.empty  # nothing held before the first trade
            continue
        held = previous.loc[ts].drop("cash")
        held = held[held != 0]
        if close.loc[ts, held.index].isna().any():
            continue
        assert list(current.index) == list(held.index)
        np.testing.assert_allclose(current.to_numpy(), held.to_numpy(), rtol=1e-12)
        compared += 1
    assert compared > 8


class _PricesColumns:
    """Answers with weights indexed by ``context.prices.columns`` itself."""

    name = "prices-columns"

    def __init__(self, fill: float) -> None:
        self.fill = fill

    def target_weights(self, context: DecisionContext) -> pd.Series:
        cols = context.prices.columns
        return pd.Series(self.fill / len(cols), index=cols)


def test_weights_on_the_window_columns_are_still_checked():
    with pytest.raises(BacktestError, match="non-finite weights for A, B, C"):
        run_backtest(panels_from_close(CLOSE), _PricesColumns(np.nan), BacktestConfig(lookback=2))
    res = run_backtest(panels_from_close(CLOSE), _PricesColumns(1.0), BacktestConfig(lookback=2))
    targets = next(iter(res.strategies.values())).targets
    np.testing.assert_array_equal(targets.to_numpy(), np.full(targets.shape, 1 / 3))


class _AgainstBuildPortfolio:
    """Answers with an OptimizerStrategy's weights; records them next to build_portfolio's on
    the same window and arguments."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.pairs: list[tuple[pd.Series, pd.Series]] = []

    def target_weights(self, context: DecisionContext) -> pd.Series:
        from cryptofolio.optimize import build_portfolio

        ours = self.inner.target_weights(context)
        kwargs = {}
        if self.inner.transaction_cost or self.inner.max_turnover is not None:
            eligible = list(context.eligible)
            kwargs["previous_weights"] = context.current_weights.reindex(eligible).fillna(0.0)
            kwargs["max_turnover"] = self.inner.max_turnover
            if self.inner.transaction_cost:
                kwargs["transaction_cost"] = self.inner.cost_rates(context)
        public = build_portfolio(context.prices, self.inner.config, **kwargs)
        self.pairs.append((ours, public.weights))
        return ours


@pytest.mark.parametrize(
    "inner",
    [
        OptimizerStrategy(),  # min-variance: expected returns not estimated (unused)
        OptimizerStrategy(name="mv-costs", transaction_cost=True),
        OptimizerStrategy(name="mv-turnover", max_turnover=1.5),
        OptimizerStrategy(PortfolioConfig(risk_model="ledoit-wolf"), name="mv-lw"),
        OptimizerStrategy(PortfolioConfig(objective="max-utility"), name="utility"),
        OptimizerStrategy(
            PortfolioConfig(
                objective="max-utility",
                risk_model="ledoit-wolf",
                returns_kind="log",
                constraints=Constraints(max_weight=0.25, l2=0.05),
            ),
            name="utility-lw-log",
        ),
        OptimizerStrategy(PortfolioConfig(risk_model="exponential"), name="mv-ewm"),
    ],
)
def test_optimizer_strategy_gives_build_portfolio_weights_bit_for_bit(inner):
    strategy = _AgainstBuildPortfolio(inner)
    run_backtest(panels_from_close(_ragged_close()), strategy, _CONFIG)
    assert len(strategy.pairs) > 10
    for ours, public in strategy.pairs:
        assert ours.index.equals(public.index)
        assert np.array_equal(ours.to_numpy(), public.to_numpy())


class _Keeper:
    """Keeps every context without reading its current weights, and a pickled and a
    ``dataclasses.replace``-d copy of it; holds equal weights."""

    name = "keeper"

    def __init__(self) -> None:
        self.kept: list[tuple] = []

    def target_weights(self, context: DecisionContext) -> pd.Series:
        import dataclasses
        import pickle

        self.kept.append(
            (
                context,
                pickle.loads(pickle.dumps(context)),
                dataclasses.replace(context, lookback=context.lookback),
            )
        )
        n = len(context.eligible)
        return pd.Series(1.0 / n if n else 0.0, index=list(context.eligible), dtype=float)


def test_current_weights_read_later_are_those_at_the_decision():
    """The engine builds the current weights when first read, from a snapshot taken at the
    decision: reading them after the run, from a pickled copy or from a replaced context
    gives the weights before that decision."""
    close = _ragged_close()
    keeper = _Keeper()
    result = run_backtest(panels_from_close(close), keeper, _CONFIG).strategies["keeper"]
    previous = result.weights.shift(1)
    compared = 0
    for (context, pickled, replaced), ts in zip(keeper.kept, result.rebalances.index, strict=True):
        current = context.current_weights
        assert current is context.current_weights  # built once
        assert current.dtype == np.float64
        pd.testing.assert_series_equal(pickled.current_weights, current)
        pd.testing.assert_series_equal(replaced.current_weights, current)
        assert "current_weights=" in repr(context)
        if ts == result.weights.index[0]:
            assert current.empty
            continue
        held = previous.loc[ts].drop("cash")
        held = held[held != 0]
        if close.loc[ts, held.index].isna().any():
            continue  # a held asset was liquidated first
        assert list(current.index) == list(held.index)
        np.testing.assert_allclose(current.to_numpy(), held.to_numpy(), rtol=1e-12)
        compared += 1
    assert compared > 8
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = keeper.kept[0][0].nothing
