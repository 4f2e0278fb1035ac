"""The screen as a backtest / optimize universe filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.backtest import BacktestConfig, DecisionContext, EqualWeight, run_backtest
from cryptofolio.data import load_dataset, to_panels
from cryptofolio.errors import SecurityError
from cryptofolio.security import (
    PowRiskFilter,
    exclusion_report,
    load_pow_data,
    pow_data,
    pow_risk_exclusions,
    screen_day,
    screen_pow_risk,
    with_pow_risk_filter,
)

ASSETS = ["BTC", "ETH", "BCH", "ETC", "ADA"]


@pytest.fixture(scope="module")
def panels():
    return to_panels(load_dataset(symbols=ASSETS, start="2019-01-01", end="2019-12-31"))


class Recorder:
    """Equal weight, remembering what it was shown."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[pd.Timestamp, tuple[str, ...], list[str]]] = []

    def target_weights(self, context):
        self.seen.append((context.timestamp, context.eligible, list(context.prices.columns)))
        n = len(context.eligible)
        return pd.Series(1.0 / n, index=list(context.eligible))


def test_screen_day_is_the_last_complete_day():
    assert screen_day("2020-07-28") == pd.Timestamp("2020-07-27", tz="UTC")
    assert screen_day("2020-07-28 13:00") == pd.Timestamp("2020-07-27", tz="UTC")


def test_filter_removes_the_danger_zone_at_each_decision(panels):
    inner = Recorder()
    filt = PowRiskFilter(inner)
    config = BacktestConfig(rebalance="monthly", lookback=60, start="2019-04-01")
    result = run_backtest(panels, [filt], config)
    assert inner.seen
    for ts, eligible, columns in inner.seen:
        expected = screen_pow_risk(ts.normalize() - pd.Timedelta(days=1)).exclusions()
        assert not set(eligible) & set(expected)
        assert columns == list(eligible)  # prices cut to the kept coins
        assert "ADA" in eligible  # not PoW: kept
    excluded = filt.exclusions()
    assert {"BCH", "ETC"} <= set(excluded["asset"])
    targets = result.strategies["recorder"].targets
    assert (targets.get("BCH", pd.Series(0.0)).fillna(0.0) == 0).all()
    report = exclusion_report([filt])
    assert "ADA" in report["not_screened"]
    assert {s["asset"] for s in report["summary"]} == set(excluded["asset"])


def test_no_exclusion_leaves_the_strategy_unchanged(panels):
    config = BacktestConfig(rebalance="monthly", lookback=60, start="2019-04-01")
    plain = run_backtest(panels, [EqualWeight()], config)
    from cryptofolio.security import PowRiskThresholds

    off = PowRiskThresholds(min_hash_share=None, min_residual=None, max_nicehash=None)
    wrapped = run_backtest(panels, [PowRiskFilter(EqualWeight(), off)], config)
    pd.testing.assert_series_equal(
        plain.strategies["equal-weight"].equity, wrapped.strategies["equal-weight"].equity
    )


def test_decision_never_reads_its_own_day(panels):
    data = load_pow_data()
    ts = pd.Timestamp("2019-06-01", tz="UTC")
    daily = data.daily.copy()
    # a change on the decision day itself (not complete at 00:00) must not matter
    daily.loc[daily["date"] >= ts, "hash_rate"] *= 1e6
    changed = pow_data(daily, data.algorithms)
    a = pow_risk_exclusions(ASSETS, ts, data=data)
    b = pow_risk_exclusions(ASSETS, ts, data=changed)
    assert dict(a) == dict(b) and a.day == pd.Timestamp("2019-05-31", tz="UTC")


def test_context_by_hand_uses_public_fields(panels):
    history = panels.close.loc[:"2019-05-31"]
    context = DecisionContext(
        timestamp=pd.Timestamp("2019-06-01", tz="UTC"),
        history=type(panels)(
            **{
                k: getattr(panels, k).loc[history.index]
                for k in ("close", "volume", "market_cap", "open", "high", "low")
            }
        ),
        eligible=tuple(ASSETS),
        lookback=30,
        current_weights=pd.Series(dtype=float),
    )
    inner = Recorder()
    w = PowRiskFilter(inner).target_weights(context)
    assert "BCH" not in w.index and "ADA" in w.index
    assert np.isclose(w.sum(), 1.0)


def test_beyond_the_data_is_a_clear_error():
    with pytest.raises(SecurityError, match=r"ends 2020-07-27.*--end 2020-07-27"):
        with_pow_risk_filter([EqualWeight()], until="2021-06-01")
    with pytest.raises(SecurityError, match=r"no proof-of-work data on"):
        pow_risk_exclusions(["BTC"], "2022-01-01")
