"""The engine's and the context's shortcuts give what the plain pandas expressions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import daily_index, panels_from_close
from cryptofolio.backtest import BacktestConfig, DecisionContext, run_backtest
from cryptofolio.errors import BacktestError

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
