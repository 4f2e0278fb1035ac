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
