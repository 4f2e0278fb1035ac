"""fetch_to_store: only the missing ranges are downloaded, conflicts are kept visible."""

from __future__ import annotations

import pandas as pd
import pytest
from sources_replay import replayed_exchange

from cryptofolio.data import load_dataset, store
from cryptofolio.data.sources import CcxtSource, fetch_to_store, resolve_span
from cryptofolio.errors import DataError

NOW = pd.Timestamp("2021-03-01 12:00", tz="UTC")  # the day candle of 2021-02-28 is closed


@pytest.fixture
def source(binance_server):
    return CcxtSource(
        replayed_exchange("binance", binance_server), page_limit=20, sleep=lambda s: None
    )


def kline_requests(source):
    return source.exchange.session.paths("/klines")


def test_second_fetch_of_same_range_downloads_nothing_and_extension_only_the_rest(
    source, klines, tmp_path
):
    first = fetch_to_store(
        source, ["BTC", "ETH"], "1d", "2021-01-01", "2021-01-31", data_dir=tmp_path, now=NOW
    )
    assert first.dataset == "binance-1d"
    assert [s.rows_added for s in first.symbols] == [31, 31]
    assert len(kline_requests(source)) == 4  # 2 pages x 2 symbols
    calls_before = len(source.exchange.session.calls)

    again = fetch_to_store(
        source, ["BTC", "ETH"], "1d", "2021-01-01", "2021-01-31", data_dir=tmp_path, now=NOW
    )
    assert len(source.exchange.session.calls) == calls_before  # not a single request
    assert [s.rows_added for s in again.symbols] == [0, 0]
    assert [s.ranges_requested for s in again.symbols] == [(), ()]

    more = fetch_to_store(source, ["BTC"], "1d", "2021-01-01", None, data_dir=tmp_path, now=NOW)
    new_calls = kline_requests(source)[4:]
    assert [pd.Timestamp(int(q["startTime"]), unit="ms", tz="UTC") for q in new_calls] == [
        pd.Timestamp("2021-02-01", tz="UTC"),
        pd.Timestamp("2021-02-21", tz="UTC"),
    ]
    assert more.symbols[0].rows_added == 28 and more.symbols[0].rows_stored == 59
    assert more.span.end == pd.Timestamp("2021-02-28", tz="UTC")  # capped at the last closed candle

    long = load_dataset("binance-1d", data_dir=tmp_path)
    btc = long[long["symbol"] == "BTC"]
    expected_close = [float(r[4]) for r in klines["BTCUSDT_1d"]]
    assert btc["close"].tolist() == expected_close
    assert not btc["timestamp"].duplicated().any()


def test_a_hole_in_the_exchange_history_is_not_refetched(source, binance_server, tmp_path):
    binance_server.holes = {int(pd.Timestamp("2021-01-10", tz="UTC").value // 10**6)}
    fetch_to_store(source, ["BTC"], "1d", "2021-01-01", "2021-01-31", data_dir=tmp_path, now=NOW)
    n = len(source.exchange.session.calls)
    fetch_to_store(source, ["BTC"], "1d", "2021-01-01", "2021-01-31", data_dir=tmp_path, now=NOW)
    assert len(source.exchange.session.calls) == n
    stored = store.read_series("binance-1d", "BTC", tmp_path).frame
    assert len(stored) == 30 and pd.Timestamp("2021-01-10", tz="UTC") not in set(
        stored["timestamp"]
    )


def test_refresh_with_changed_candles_keeps_newer_and_reports(source, binance_server, tmp_path):
    fetch_to_store(source, ["BTC"], "1d", "2021-01-01", "2021-01-31", data_dir=tmp_path, now=NOW)
    row = binance_server.klines["BTCUSDT_1d"][4]  # 2021-01-05
    old_close = float(row[4])
    row[4] = f"{old_close + 123.0:.8f}"
    with pytest.warns(store.StoreConflictWarning, match="BTC close at 2021-01-05"):
        report = fetch_to_store(
            source,
            ["BTC"],
            "1d",
            "2021-01-01",
            "2021-01-31",
            data_dir=tmp_path,
            refresh=True,
            now=NOW,
        )
    conflicts = report.conflicts
    assert set(conflicts["column"]) == {"close", "volume"}  # volume = base volume x close
    close = conflicts[conflicts["column"] == "close"].iloc[0]
    assert close["stored"] == old_close and close["fetched"] == old_close + 123.0
    stored = store.read_series("binance-1d", "BTC", tmp_path).frame.set_index("timestamp")
    assert stored.loc[pd.Timestamp("2021-01-05", tz="UTC"), "close"] == old_close + 123.0
    assert report.symbols[0].values_changed == 2 and report.symbols[0].rows_added == 0
    assert (tmp_path / "binance-1d" / "conflicts.csv").exists()


def test_one_dataset_keeps_one_quote_currency(source, tmp_path):
    fetch_to_store(source, ["BTC"], "1d", "2021-01-01", "2021-01-05", data_dir=tmp_path, now=NOW)
    with pytest.raises(DataError, match=r"holds BTC quoted in USDT, but BTC was asked in USDC"):
        fetch_to_store(
            source, ["BTC/USDC"], "1d", "2021-01-01", "2021-01-05", data_dir=tmp_path, now=NOW
        )


def test_span_checks():
    span = resolve_span("1h", "2021-01-01", None, now=pd.Timestamp("2021-01-02 10:30", tz="UTC"))
    assert span.end == pd.Timestamp("2021-01-02 09:00", tz="UTC")  # 10:00 candle still forming
    with pytest.raises(DataError, match="--start"):
        resolve_span("1d", "2021-05-01", "2021-04-01", now=NOW)
    with pytest.raises(DataError, match="cannot read --start 'yesterday-ish'"):
        resolve_span("1d", "yesterday-ish", now=NOW)


class Recorder:
    def __init__(self):
        self.events = []

    def start_symbol(self, asset, pages):
        self.events.append(("start", asset, pages))

    def page(self, asset, rows):
        self.events.append(("page", asset, rows))

    def end_symbol(self, asset):
        self.events.append(("end", asset))


def test_progress_reports_each_page(source, tmp_path):
    rec = Recorder()
    fetch_to_store(
        source, ["BTC"], "1d", "2021-01-01", "2021-02-28", data_dir=tmp_path, progress=rec, now=NOW
    )
    pages = [e for e in rec.events if e[0] == "page"]
    assert rec.events[0] == ("start", "BTC", 3) and rec.events[-1] == ("end", "BTC")
    assert [e[2] for e in pages] == [20, 20, 19]  # candles per page, 59 days in 20-candle pages
    assert len(pages) == len(kline_requests(source))
