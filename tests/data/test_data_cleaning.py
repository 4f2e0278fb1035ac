"""Explicit cleaning: nothing changes unless asked, every change is logged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.data.cleaning import (
    CleaningAction,
    CleaningPolicy,
    CleaningPreset,
    clean,
)
from cryptofolio.data.quality import quality_report
from cryptofolio.errors import DataError

REFERENCE = Path(__file__).with_name("coingecko_daily_quality.csv")


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return load_dataset("coingecko-daily")


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REFERENCE).set_index("symbol")


def _frame(rows: list[tuple[str, str, float]], **extra: list[float]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["timestamp", "symbol", "close"])
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    out["volume"] = extra.get("volume", [1.0] * len(rows))
    out["market_cap"] = extra.get("market_cap", [10.0] * len(rows))
    return out


def test_none_policy_changes_nothing(daily):
    before = daily.copy()
    result = clean(daily, "none")
    pd.testing.assert_frame_equal(result.data, daily)
    assert result.actions.empty
    assert result.policy == CleaningPolicy()
    pd.testing.assert_frame_equal(daily, before)  # the input is never modified


def test_standard_preset_on_bundled_data(daily, ref):
    result = clean(daily, CleaningPreset.STANDARD)
    data = result.data
    firsts = data.groupby("symbol")["timestamp"].min()
    # README: BNB before 2017-10-30 and SHIB before 2021-01-31 are junk
    assert firsts["BNB"] == pd.Timestamp("2017-10-30", tz="UTC")
    assert firsts["SHIB"] == pd.Timestamp("2021-01-31", tz="UTC")
    # DOGE's real rally is kept: all its rows are still there
    assert (data["symbol"] == "DOGE").sum() == ref.loc["DOGE", "rows"]
    # the log says how many rows went, counted independently on the raw data
    acts = result.actions.set_index(["symbol", "action"])
    raw_bnb = daily[(daily["symbol"] == "BNB") & (daily["timestamp"] < "2017-10-30")]
    raw_shib = daily[(daily["symbol"] == "SHIB") & (daily["timestamp"] < "2021-01-31")]
    assert acts.loc[("BNB", "drop_listing_junk"), "rows"] == len(raw_bnb)
    assert acts.loc[("SHIB", "drop_listing_junk"), "rows"] == len(raw_shib)
    assert acts.loc[("BNB", "drop_listing_junk"), "last"] == pd.Timestamp("2017-10-29", tz="UTC")
    # zero market caps became NaN, and the log counts them
    assert (data["market_cap"] == 0).sum() == 0
    zero_logged = result.actions.loc[result.actions["action"] == "zero_market_cap_to_nan", "rows"]
    shib_junk_zeros = (raw_shib["market_cap"] == 0).sum()
    assert zero_logged.sum() == ref["mcap_zero"].sum() - shib_junk_zeros
    assert len(data) == len(daily) - len(raw_bnb) - len(raw_shib)
    # a second quality pass finds no junk left
    after = quality_report(data)
    assert after.table["listing_junk_before"].isna().all()
    assert after.table["zero_market_cap"].sum() == 0


def test_strict_preset_drops_zero_market_cap_prefix(daily, ref):
    result = clean(daily, "strict")
    firsts = result.data.groupby("symbol")["timestamp"].min()
    ar = daily[(daily["symbol"] == "AR") & (daily["market_cap"] > 0)]["timestamp"].min()
    assert firsts["AR"] == ar
    assert (result.data["volume"] == 0).sum() == 0
    logged = result.actions.set_index(["symbol", "action"])["rows"]
    assert logged[("AR", "drop_zero_market_cap_prefix")] == ref.loc["AR", "mcap_zero"]
    assert logged[("BTC", "zero_volume_to_nan")] == ref.loc["BTC", "vol_zero"]


def test_duplicates_keep_last_and_are_logged():
    long = _frame(
        [("2021-01-01", "AAA", 1.0), ("2021-01-02", "AAA", 2.0), ("2021-01-02", "AAA", 2.5)]
    )
    with pytest.raises(DataError, match="duplicate"):
        to_panels(long)
    result = clean(long, CleaningPolicy(drop_duplicates=True))
    assert result.data["close"].tolist() == [1.0, 2.5]
    row = result.actions.iloc[0]
    assert (row["symbol"], row["action"], row["rows"]) == ("AAA", "drop_duplicates", 1)
    assert row["first"] == pd.Timestamp("2021-01-02", tz="UTC")


def test_bad_prices_are_dropped_only_when_asked():
    long = _frame(
        [("2021-01-01", "AAA", 1.0), ("2021-01-02", "AAA", -1.0), ("2021-01-03", "AAA", np.nan)]
    )
    assert len(clean(long, CleaningPolicy()).data) == 3
    result = clean(long, CleaningPolicy(drop_bad_prices=True))
    assert result.data["close"].tolist() == [1.0]
    assert result.actions["rows"].tolist() == [2]


def test_forward_fill_inserts_marked_rows_up_to_k():
    # gaps: 1 missing day (01-03) and 3 missing days (01-05..01-07)
    long = _frame(
        [
            ("2021-01-01", "AAA", 1.0),
            ("2021-01-02", "AAA", 2.0),
            ("2021-01-04", "AAA", 4.0),
            ("2021-01-08", "AAA", 8.0),
            ("2021-01-09", "AAA", 9.0),
        ],
        market_cap=[10.0, 20.0, 40.0, 80.0, 90.0],
    )
    result = clean(long, CleaningPolicy(ffill_max_periods=2, frequency="1d"))
    data = result.data.set_index("timestamp")
    assert len(data) == 6
    filled = data[data["filled"]]
    assert list(filled.index) == [pd.Timestamp("2021-01-03", tz="UTC")]
    assert filled["close"].tolist() == [2.0]  # carried from 01-02
    assert filled["market_cap"].tolist() == [20.0]
    assert filled["volume"].isna().all()  # unknown, not zero
    assert not data.loc[data.index != "2021-01-03", "filled"].any()
    acts = result.actions.set_index("action")
    assert acts.loc["forward_fill", "rows"] == 1
    left = acts.loc["gap_left_unfilled"]
    assert left["rows"] == 3
    assert (left["first"], left["last"]) == (
        pd.Timestamp("2021-01-05", tz="UTC"),
        pd.Timestamp("2021-01-07", tz="UTC"),
    )
    # with K = 3 the long gap is filled too
    assert clean(long, CleaningPolicy(ffill_max_periods=3)).data["filled"].sum() == 4


def test_forward_fill_on_bundled_usdt(daily, ref):
    usdt = daily[daily["symbol"] == "USDT"]
    result = clean(usdt, CleaningPolicy(ffill_max_periods=13))
    assert result.data["filled"].sum() == ref.loc["USDT", "missing_days"]
    assert quality_report(result.data).table.loc["USDT", "missing"] == 0


def test_policy_validation_and_presets():
    with pytest.raises(DataError, match=r"unknown cleaning preset 'tidy'.*none, basic"):
        CleaningPolicy.preset("tidy")
    with pytest.raises(DataError, match="ffill_max_periods must be a whole number"):
        CleaningPolicy(ffill_max_periods=-1)
    with pytest.raises(DataError, match="unknown frequency"):
        CleaningPolicy(frequency="daily")
    policy = CleaningPolicy.preset("basic", ffill_max_periods=2)
    assert policy.drop_duplicates and policy.ffill_max_periods == 2
    assert not policy.drop_listing_junk
    assert CleaningPolicy().describe() == []
    assert (
        "drop history before a detected listing jump"
        in CleaningPolicy.preset("standard").describe()
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.drop_duplicates = False  # type: ignore[misc]


def test_forward_fill_refuses_duplicates():
    long = _frame([("2021-01-01", "AAA", 1.0), ("2021-01-01", "AAA", 1.0)])
    with pytest.raises(DataError, match="drop_duplicates=True"):
        clean(long, CleaningPolicy(ffill_max_periods=1, frequency="1d"))


def test_action_names_are_the_enum():
    assert {a.value for a in CleaningAction} >= {"drop_listing_junk", "forward_fill"}
