"""Named datasets: bundled loader, selection errors, listing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.data import LONG_COLUMNS, list_datasets, load_dataset, load_market_data
from cryptofolio.data.datasets import _read_bundled
from cryptofolio.errors import DataError, UnknownSymbolError


def test_bundled_daily_is_the_long_frame():
    long = load_dataset("coingecko-daily")
    assert tuple(long.columns[: len(LONG_COLUMNS)]) == LONG_COLUMNS
    assert str(long["timestamp"].dt.tz) == "UTC"
    # README: 52 coins, 69,140 rows, 2013-04-28 -> 2023-11-30
    assert long["symbol"].nunique() == 52
    assert len(long) == 69_140
    assert long["timestamp"].min() == pd.Timestamp("2013-04-28", tz="UTC")
    assert long["timestamp"].max() == pd.Timestamp("2023-11-30", tz="UTC")
    assert long[["open", "high", "low"]].isna().all().all()  # CoinGecko gives closes only


def test_loader_keeps_the_panel_ragged():
    long = load_dataset("coingecko-daily", symbols=["BTC", "SOL", "AAVE"])
    spans = long.groupby("symbol")["timestamp"].agg(["min", "max"])
    # README: the three source groups end on different dates
    assert spans.loc["BTC", "min"] == pd.Timestamp("2013-04-28", tz="UTC")
    assert spans.loc["SOL", "min"] == pd.Timestamp("2020-04-11", tz="UTC")
    assert spans.loc["AAVE", "max"] == pd.Timestamp("2021-10-17", tz="UTC")
    assert spans.loc["SOL", "max"] == pd.Timestamp("2023-11-30", tz="UTC")


def test_hourly_dataset():
    long = load_dataset("binance-hourly", symbols=["BTC/USDT"], start="2021-06-09")
    assert set(long["symbol"]) == {"BTC"}
    assert long["timestamp"].max() == pd.Timestamp("2021-06-10 00:00", tz="UTC")
    assert long[["open", "high", "low", "close"]].notna().all().all()


def test_start_and_end_are_inclusive():
    long = load_dataset("coingecko-daily", symbols=["BTC"], start="2020-01-01", end="2020-01-31")
    assert len(long) == 31


def test_unknown_symbol_names_it():
    with pytest.raises(UnknownSymbolError, match=r"unknown symbol\(s\) FOO, BAR; available: AAVE"):
        load_dataset("coingecko-daily", symbols=["BTC", "foo", "BAR"])


def test_unknown_dataset_names_it(tmp_path):
    with pytest.raises(UnknownSymbolError, match="unknown dataset 'nope'; available: "):
        load_dataset("nope", data_dir=tmp_path)


def test_empty_range_names_the_range_and_coverage():
    with pytest.raises(
        DataError,
        match="no data between 2030-01-01 and the end; the data covers 2013-04-28 to 2023-11-30",
    ):
        load_dataset("coingecko-daily", start="2030-01-01")


def test_symbol_without_data_in_range_is_an_error_not_a_silent_drop():
    with pytest.raises(
        DataError,
        match=r"no data for SHIB between 2014-01-01 and 2015-01-01 \(SHIB 2020-08-01 to 2021-10-17\)",
    ):
        load_dataset(
            "coingecko-daily", symbols=["BTC", "SHIB"], start="2014-01-01", end="2015-01-01"
        )


def test_bad_and_reversed_dates():
    with pytest.raises(DataError, match="start 2022-01-01 is after end 2021-01-01"):
        load_dataset("coingecko-daily", start="2022-01-01", end="2021-01-01")
    with pytest.raises(DataError, match="cannot parse start 'yesterday-ish' as a date"):
        load_dataset("coingecko-daily", start="yesterday-ish")


def test_dataset_or_file_not_both(tmp_path):
    with pytest.raises(DataError, match="not both"):
        load_market_data("coingecko-daily", tmp_path / "x.csv")


def test_cache_returns_independent_frames():
    first = load_dataset("coingecko-daily", symbols=["BTC"])
    first.loc[:, "close"] = np.nan
    again = load_dataset("coingecko-daily", symbols=["BTC"])
    assert again["close"].notna().all()
    hits = _read_bundled.cache_info().hits
    load_dataset("coingecko-daily")
    assert _read_bundled.cache_info().hits == hits + 1


def test_list_datasets(tmp_path):
    infos = {i.name: i for i in list_datasets(tmp_path)}
    daily, hourly = infos["coingecko-daily"], infos["binance-hourly"]
    assert (daily.origin, daily.frequency, len(daily.symbols)) == ("bundled", "1d", 52)
    assert (hourly.frequency, hourly.symbols) == ("1h", ("ADA", "BNB", "BTC", "ETH"))
    assert hourly.start == pd.Timestamp("2017-08-17 04:00", tz="UTC")
    assert daily.rows == 69_140
