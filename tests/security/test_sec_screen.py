"""The screen: point in time, thresholds, and the bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _sec_tiny import tiny_daily, tiny_data

from cryptofolio.errors import SecurityError
from cryptofolio.security import (
    PowRiskThresholds,
    daily_measures,
    load_pow_data,
    pow_data,
    screen_pow_risk,
)
from cryptofolio.security.history import residual_history

ONE_DAY = PowRiskThresholds(window_days=1)


def test_one_day_window_equals_daily_measures(tiny):
    result = screen_pow_risk("2020-01-02", data=tiny, thresholds=ONE_DAY)
    m = daily_measures(tiny)
    m = m[m["date"] == pd.Timestamp("2020-01-02", tz="UTC")].set_index("symbol")
    for sym in m.index:
        assert result.table.loc[sym, "hash_share"] == pytest.approx(m.loc[sym, "hash_share"])
        assert result.table.loc[sym, "security_budget_usd_per_hour"] == pytest.approx(
            m.loc[sym, "security_budget_usd_per_hour"]
        )


def test_window_mean_by_hand(tiny):
    result = screen_pow_risk("2020-01-02", data=tiny, thresholds=PowRiskThresholds(window_days=2))
    kid = result.table.loc["KID"]
    assert kid["hash_rate"] == pytest.approx(50.0)  # (20 + 80) / 2
    assert kid["days_used"] == 2
    # pool with KID merged on 2020-01-02 (the screen day): 100 + max(50 - 100, 0)
    assert kid["hash_share"] == pytest.approx(0.5)


def test_future_data_does_not_change_an_earlier_screen():
    daily = tiny_daily()
    before = screen_pow_risk("2020-01-02", data=tiny_data(daily), thresholds=ONE_DAY)
    changed = daily.copy()
    later = changed["date"] > pd.Timestamp("2020-01-02", tz="UTC")
    changed.loc[later, ["hash_rate", "market_cap_usd", "issuance_usd"]] *= 1000.0
    after = screen_pow_risk("2020-01-02", data=tiny_data(changed), thresholds=ONE_DAY)
    pd.testing.assert_frame_equal(before.table, after.table)


def test_future_change_in_bundled_data_keeps_the_past():
    data = load_pow_data()
    daily = data.daily.copy()
    cut = pd.Timestamp("2019-06-01", tz="UTC")
    daily.loc[daily["date"] > cut, "hash_rate"] *= 50.0
    daily.loc[daily["date"] > cut, "market_cap_usd"] /= 7.0
    changed = pow_data(daily, data.algorithms)
    a = screen_pow_risk("2019-06-01", data=data).table
    b = screen_pow_risk("2019-06-01", data=changed).table
    pd.testing.assert_frame_equal(a, b)
    assert not screen_pow_risk("2019-06-02", data=changed).table.equals(
        screen_pow_risk("2019-06-02", data=data).table
    )


def test_algorithm_in_force_on_the_screen_day(tiny):
    # window of 2 days ending 2020-01-03: BBB's 2020-01-02 row (algorithm A) is left out
    r = screen_pow_risk("2020-01-03", data=tiny, thresholds=PowRiskThresholds(window_days=2))
    assert r.table.loc["BBB", "algorithm"] == "B"
    assert r.table.loc["BBB", "days_used"] == 1
    assert r.table.loc["BBB", "hash_rate"] == pytest.approx(5.0)
    assert r.table.loc["BBB", "hash_share"] == pytest.approx(1.0)
    assert r.table.loc["AAA", "hash_share"] == pytest.approx(1.0)
    # the USD figures are unit-free: averaged over both days
    assert r.table.loc["BBB", "security_budget_usd_per_hour"] == pytest.approx((20 + 11) / 2)
    r2 = screen_pow_risk("2020-01-02", data=tiny, thresholds=ONE_DAY)
    assert r2.table.loc["BBB", "algorithm"] == "A"
    assert r2.table.loc["BBB", "hash_share"] == pytest.approx(0.1)


def test_bundled_btg_leaves_zcash_equihash_on_2018_07_03():
    before = screen_pow_risk("2018-07-02", thresholds=ONE_DAY).table
    after = screen_pow_risk("2018-07-03", thresholds=ONE_DAY).table
    assert before.loc["BTG", "algorithm"] == before.loc["ZEC", "algorithm"] == "Equihash (200;9)"
    assert before.loc["BTG", "hash_share"] < 0.1
    assert after.loc["BTG", "algorithm"] == "Equihash-BTG (144;5)"
    assert after.loc["BTG", "hash_share"] == 1.0 and after.loc["ZEC", "hash_share"] == 1.0


def test_danger_reasons_and_thresholds():
    r = screen_pow_risk("2019-06-01", thresholds=PowRiskThresholds(min_hash_share=0.1))
    excl = r.exclusions()
    assert {"BCH", "BSV", "ETC"} <= set(excl)
    assert "hash share" in excl["BCH"] and "SHA-256" in excl["BCH"]
    off = screen_pow_risk(
        "2019-06-01", thresholds=PowRiskThresholds(min_hash_share=None, min_residual=None)
    )
    assert off.exclusions() == {}
    t = r.table[r.table["status"] == "screened"]
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert t["residual"].is_monotonic_increasing


def test_residual_history_equals_the_screen():
    h = residual_history(window_days=7)
    day = h[h["date"] == pd.Timestamp("2018-03-01", tz="UTC")].set_index("symbol")["residual"]
    t = screen_pow_risk("2018-03-01").table["residual"].dropna()
    np.testing.assert_allclose(day.sort_index(), t.sort_index(), atol=1e-12)


def test_coins_without_hash_rate_data_are_reported():
    r = screen_pow_risk("2016-01-01", assets=["BTC", "ADA", "SOL/USDT", "BCH"])
    assert r.table.loc["ADA", "status"] == "not-pow"
    assert r.table.loc["SOL", "status"] == "not-pow"
    assert "proof of stake" in r.not_screened()["ADA"]
    assert r.table.loc["BCH", "status"] == "no-data"  # before its fork
    assert "2017-08-01" in r.not_screened()["BCH"]
    assert any("ADA" in n for n in r.notes)
    assert "ADA" not in r.exclusions()


def test_dates_outside_the_data():
    with pytest.raises(SecurityError, match=r"before the .* starts \(2009-01-09\)"):
        screen_pow_risk("2008-06-01")
    with pytest.raises(
        SecurityError, match=r"no proof-of-work data on 2021-01-01.*ends 2020-07-27"
    ):
        screen_pow_risk("2021-01-01")
    late = screen_pow_risk("2020-07-30")
    assert any("ends 2020-07-27" in n for n in late.notes)
    with pytest.raises(SecurityError, match=r"cannot read date"):
        screen_pow_risk("yesterday-ish")


def test_bad_thresholds():
    with pytest.raises(SecurityError, match=r"fraction"):
        PowRiskThresholds(min_hash_share=10)
    with pytest.raises(SecurityError, match=r"window_days"):
        PowRiskThresholds(window_days=0)


def test_json_fields():
    doc = screen_pow_risk("2019-06-01", assets=["BTC", "BCH", "ADA"]).to_json_dict()
    assert set(doc) == {
        "date",
        "data_ends",
        "thresholds",
        "fit",
        "coins",
        "excluded",
        "not_screened",
        "notes",
    }
    assert doc["data_ends"] == "2020-07-27"
    btc = next(c for c in doc["coins"] if c["symbol"] == "BTC")
    assert set(btc) >= {
        "status",
        "rank",
        "danger",
        "reasons",
        "hash_share",
        "residual",
        "security_budget_usd_per_hour",
        "market_cap_usd",
        "budget_to_market_cap",
    }
