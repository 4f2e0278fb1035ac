"""Quality checks against the bundled real data.

Expected figures come from the data's own documentation, not from the code under test:
``coingecko_daily_quality.csv`` (a copy of ../shared/data/coingecko_daily_quality.csv, computed
when the dataset was assembled) and ../shared/data/README.md (quoted in each test).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.data import infer_frequency, load_dataset
from cryptofolio.data.quality import Check, quality_report
from cryptofolio.errors import DataError

REFERENCE = Path(__file__).with_name("coingecko_daily_quality.csv")


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return load_dataset("coingecko-daily")


@pytest.fixture(scope="module")
def report(daily):
    return quality_report(daily)


@pytest.fixture(scope="module")
def hourly_report():
    return quality_report(load_dataset("binance-hourly"))


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REFERENCE).set_index("symbol").sort_index()


def test_frequency_is_inferred(report, hourly_report):
    assert report.frequency == "1d"
    assert hourly_report.frequency == "1h"


def test_every_symbol_is_reported(report, ref):
    assert report.symbols == list(ref.index)
    assert len(report.symbols) == 52


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("rows", "rows"),
        ("missing", "missing_days"),
        ("duplicates", "dup"),
        ("nonpositive_close", "close_nonpos"),
        ("nan_close", "close_nan"),
        ("zero_market_cap", "mcap_zero"),
        ("nan_market_cap", "mcap_nan"),
        ("zero_volume", "vol_zero"),
        ("jumps", "n_absret_gt50pct"),
    ],
)
def test_counts_match_reference_table(report, ref, ours, theirs):
    got = report.table[ours].astype("int64")
    pd.testing.assert_series_equal(got, ref[theirs].astype("int64"), check_names=False)


def test_first_and_last_dates_match_reference(report, ref):
    assert list(report.table["first"].dt.strftime("%Y-%m-%d")) == list(ref["first"])
    assert list(report.table["last"].dt.strftime("%Y-%m-%d")) == list(ref["last"])


def test_largest_jump_matches_reference(report, ref):
    got = report.table["largest_jump"].abs()
    np.testing.assert_allclose(got.to_numpy(), ref["max_absret"].to_numpy(), atol=5e-4)
    dates = report.table["largest_jump_at"].dt.strftime("%Y-%m-%d")
    assert list(dates) == list(ref["max_absret_date"])


def test_gaps_match_reference(report, ref):
    for sym, row in ref.iterrows():
        expected = [(pd.Timestamp(d, tz="UTC"), n) for d, n in json.loads(row["gaps"])]
        ours = report.gaps[report.gaps["symbol"] == sym]
        got = list(zip(ours["start"], ours["periods"], strict=True))
        # the reference lists at most the first six gaps of a symbol
        assert got[: len(expected)] == expected, sym
        assert sum(n for _, n in got) == row["missing_days"], sym


def test_missing_days_from_readme(report):
    # "Missing days: USDT 23 (13 in a row from 2016-01-29), SHIB 14, XLM 6, XRP 5, DOGE 3,
    #  BTC 2, LTC 2, BNB 2, ETH 1."
    expected = {
        "USDT": 23,
        "SHIB": 14,
        "XLM": 6,
        "XRP": 5,
        "DOGE": 3,
        "BTC": 2,
        "LTC": 2,
        "BNB": 2,
        "ETH": 1,
    }
    t = report.table
    assert t.loc[t["missing"] > 0, "missing"].to_dict() == expected
    assert t.loc["USDT", "longest_gap"] == 13
    assert t.loc["USDT", "longest_gap_start"] == pd.Timestamp("2016-01-29", tz="UTC")


def test_listing_junk_is_detected_for_bnb_and_shib_only(report):
    # "BNB before 2017-10-30 is bogus ... SHIB before 2021-01-31 is illiquid pre-listing data
    #  ... DOGE +339% on 2021-01-29 is real."
    junk = report.table["listing_junk_before"].dropna()
    assert junk.to_dict() == {
        "BNB": pd.Timestamp("2017-10-30", tz="UTC"),
        "SHIB": pd.Timestamp("2021-01-31", tz="UTC"),
    }
    doge = report.table.loc["DOGE"]
    assert pd.isna(doge["listing_junk_before"])
    assert doge["largest_jump_at"] == pd.Timestamp("2021-01-29", tz="UTC")
    assert doge["largest_jump"] == pytest.approx(3.389, abs=1e-3)


def test_bnb_junk_is_what_the_readme_describes(daily, report):
    # "about $0.046 with volumes of $2-10, then +2,531% in one day"
    bnb = daily[daily["symbol"] == "BNB"].set_index("timestamp")
    cut = report.table.loc["BNB", "listing_junk_before"]
    before = bnb.loc[: cut - pd.Timedelta("1D")].tail(4)
    assert before["close"].between(0.04, 0.05).all()
    assert before["volume"].between(2, 10).all()
    assert report.table.loc["BNB", "largest_jump"] == pytest.approx(25.31, abs=5e-3)


def test_zero_market_caps_from_readme(report):
    # "market_cap == 0 on many early rows (AR 305, SHIB 274, ..., BUSD 209, ...)"
    t = report.table
    assert t.loc["AR", "zero_market_cap"] == 305
    assert t.loc["SHIB", "zero_market_cap"] == 274
    assert t.loc["BUSD", "zero_market_cap"] == 209


def test_zero_volume_from_reference(report):
    # The README lists BTC 242, LTC 242 and XRP 140 under zero market caps, but the reference
    # table (and the data) show these are zero *volumes*; both kinds of zeros are reported.
    t = report.table
    assert t.loc[["BTC", "LTC", "XRP"], "zero_volume"].tolist() == [242, 242, 140]
    assert t.loc[["BTC", "LTC", "XRP"], "zero_market_cap"].tolist() == [0, 0, 0]


def test_early_junk_of_safemoon_ohm_ar_is_flagged(report, ref):
    # "SAFEMOON, OHM and AR have similar early junk": their first rows have no market cap.
    t = report.table
    for sym in ("SAFEMOON", "OHM", "AR"):
        assert t.loc[sym, "leading_zero_market_cap"] == ref.loc[sym, "mcap_zero"] > 0
    findings = {f.check: f for f in report.findings()}
    assert {"SAFEMOON", "OHM", "AR"} <= set(findings[Check.LEADING_ZERO_MARKET_CAP].symbols)


def _stale_runs(closes: list[float]) -> tuple[int, int]:
    """Independent count of runs of identical consecutive closes, and the longest (rows)."""
    lengths = [len(list(g)) for _, g in itertools.groupby(closes)]
    runs = [n for n in lengths if n >= 2]
    return len(runs), max(runs, default=0)


def test_stale_runs(daily, report):
    # "Flat repeated values (e.g. AAVE's first two days) are stale snapshots."
    aave = report.table.loc["AAVE"]
    assert aave["longest_stale_run"] == 2
    assert aave["longest_stale_start"] == pd.Timestamp("2020-10-03", tz="UTC")
    for sym, g in daily.groupby("symbol"):
        runs, longest = _stale_runs(g["close"].tolist())
        assert report.table.loc[sym, "stale_runs"] == runs, sym
        assert report.table.loc[sym, "longest_stale_run"] == longest, sym


def test_off_midnight_snapshots(daily, report):
    # "2 rows per coin (4 for BTC) were snapped off midnight (e.g. 2017-06-06 23:29:55 UTC)"
    off = report.table["off_snapshot"]
    assert off["BTC"] == 4
    assert set(off[off > 0].drop("BTC")) == {2}
    btc = daily[daily["symbol"] == "BTC"]
    assert pd.Timestamp("2017-06-06 23:29:55", tz="UTC") in set(btc["snapped_at"])
    assert report.table["off_grid"].sum() == 0  # the timestamps themselves are on midnight


def test_no_duplicate_dates(report):
    # "no duplicate dates"
    assert report.table["duplicates"].sum() == 0


def test_stablecoins_are_near_constant(report):
    # "Stablecoins (USDT, USDC, BUSD, DAI) sit near 1.0: near-zero variance"
    flagged = set(report.table.index[report.table["near_constant"]])
    assert flagged == {"USDT", "USDC", "BUSD", "DAI"}


def test_hourly_defects_from_readme(hourly_report):
    # "missing hours (16 for BTC and ETH, at most 4 in a row on 2017-09-22; 12 for ADA and
    #  BNB); zero-volume hours during exchange downtime (117 BTC, 119 ETH, 2 ADA, 2 BNB)."
    t = hourly_report.table
    assert t["missing"].to_dict() == {"ADA": 12, "BNB": 12, "BTC": 16, "ETH": 16}
    assert t.loc[["BTC", "ETH"], "longest_gap"].tolist() == [4, 4]
    for sym in ("BTC", "ETH"):
        assert t.loc[sym, "longest_gap_start"].strftime("%Y-%m-%d") == "2017-09-22"
    assert t.loc[["ADA", "BNB"], "longest_gap"].max() < 4
    assert t["zero_volume"].to_dict() == {"ADA": 2, "BNB": 2, "BTC": 117, "ETH": 119}
    assert t.loc[["BTC", "ETH"], "rows"].tolist() == [33413, 33413]
    assert t["listing_junk_before"].isna().all()


def _tiny() -> pd.DataFrame:
    ts = pd.to_datetime(
        ["2021-01-01", "2021-01-02", "2021-01-02", "2021-01-03", "2021-01-06", "2021-01-07T06:00"],
        format="ISO8601",
        utc=True,
    )
    return pd.DataFrame(
        {
            "timestamp": ts,
            "symbol": "AAA",
            "close": [1.0, 2.0, 2.0, -1.0, np.nan, 3.0],
            "volume": [1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            "market_cap": [0.0, 5.0, 5.0, 5.0, 5.0, np.nan],
        }
    )


def test_hand_made_defects_are_counted():
    t = quality_report(_tiny(), "1d").table.loc["AAA"]
    assert t["duplicates"] == 1
    assert t["nonpositive_close"] == 1
    assert t["nan_close"] == 1
    assert t["zero_volume"] == 2
    assert t["zero_market_cap"] == 1 and t["leading_zero_market_cap"] == 1
    assert t["nan_market_cap"] == 1
    assert t["off_grid"] == 1  # 2021-01-07 06:00
    assert t["missing"] == 2 and t["longest_gap_start"] == pd.Timestamp("2021-01-04", tz="UTC")
    # valid closes 1, 2, 2, 3: moves +100%, 0%, +50% -> one beyond 50%, and one stale run
    assert t["jumps"] == 1 and t["largest_jump"] == pytest.approx(1.0)
    assert t["stale_runs"] == 1


def test_frequency_errors():
    one = _tiny().iloc[:1]
    with pytest.raises(DataError, match="cannot infer the data frequency"):
        infer_frequency(one)
    with pytest.raises(DataError, match="unknown frequency '2d'"):
        quality_report(_tiny(), "2d")
    with pytest.raises(DataError, match="no rows"):
        quality_report(_tiny().iloc[:0], "1d")


def test_findings_are_words_and_json_is_serialisable(report):
    messages = [f.message for f in report.findings()]
    assert any("BNB before 2017-10-30" in m for m in messages)
    assert any("USDT 23 (longest 13 from 2016-01-29)" in m for m in messages)
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["frequency"] == "1d"
    assert {row["symbol"] for row in payload["symbols"]} == set(report.symbols)
