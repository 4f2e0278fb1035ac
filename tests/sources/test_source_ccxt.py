"""ccxt source against replayed Binance and Bybit payloads (real ccxt parsing, no network)."""

from __future__ import annotations

import json

import ccxt
import numpy as np
import pandas as pd
import pytest
from sources_replay import http_response, replayed_exchange

from cryptofolio.data import load_dataset
from cryptofolio.data.sources import CcxtSource, FetchRange, RetryPolicy, create_exchange
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

JAN1 = pd.Timestamp("2021-01-01", tz="UTC")
FEB28 = pd.Timestamp("2021-02-28", tz="UTC")
DAY_MS = 86_400_000


def ms(ts: str) -> int:
    return int(pd.Timestamp(ts, tz="UTC").value // 1_000_000)


def reference(rows: list[list]) -> pd.DataFrame:
    """The long frame expected from Binance kline rows, computed straight from the payload."""
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime([r[0] for r in rows], unit="ms", utc=True).as_unit("ns"),
            "open": [float(r[1]) for r in rows],
            "high": [float(r[2]) for r in rows],
            "low": [float(r[3]) for r in rows],
            "close": [float(r[4]) for r in rows],
            "volume": [float(r[5]) * float(r[4]) for r in rows],  # base volume x close
        }
    )


def assert_matches(frame: pd.DataFrame, rows: list[list], asset: str) -> None:
    ref = reference(rows)
    assert list(frame["symbol"].unique()) == [asset]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    pd.testing.assert_series_equal(
        frame["timestamp"].reset_index(drop=True), ref["timestamp"], check_names=False
    )
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(frame[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12)
    assert frame["market_cap"].isna().all()


def source_for(server, exchange_id="binance", sleeps=None, **kwargs) -> CcxtSource:
    return CcxtSource(
        replayed_exchange(exchange_id, server),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_binance_daily_pages_forward_until_range_is_covered(binance_server, klines):
    src = source_for(binance_server, page_limit=20)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert_matches(frame, klines["BTCUSDT_1d"], "BTC")
    calls = src.exchange.session.paths("/klines")
    assert [int(q["startTime"]) for q in calls] == [
        ms("2021-01-01"),
        ms("2021-01-21"),
        ms("2021-02-10"),
    ]
    assert [int(q["endTime"]) for q in calls] == [
        ms("2021-01-21") - 1,
        ms("2021-02-10") - 1,
        ms("2021-02-28"),
    ]
    assert all(
        q["symbol"] == "BTCUSDT" and q["interval"] == "1d" and q["limit"] == "20" for q in calls
    )


def test_binance_hourly_agrees_with_bundled_binance_dataset(binance_server):
    """Peer check: the replayed candles are real Binance hours; after ccxt parsing they must sit
    at the same (open) timestamps with the same prices as the bundled ``binance-hourly`` data."""
    src = source_for(binance_server)
    span = FetchRange(JAN1, pd.Timestamp("2021-01-03 23:00", tz="UTC"))
    frame = src.fetch_ohlcv("ETH/USDT", "1h", span)
    bundled = load_dataset("binance-hourly", symbols=["ETH"], start=span.start, end=span.end)
    assert len(frame) == len(bundled) == 72
    pd.testing.assert_series_equal(frame["timestamp"], bundled["timestamp"])
    for col in ("open", "high", "low", "close"):
        np.testing.assert_allclose(frame[col], bundled[col], rtol=1e-9)
    # volume is base volume x close: an approximation of the true quote volume
    np.testing.assert_allclose(frame["volume"], bundled["volume"], rtol=0.05)


def test_bybit_newest_first_pages_are_walked_forward(bybit_server, klines):
    src = source_for(bybit_server, exchange_id="bybit", page_limit=25)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    # Bybit's volume column is the base volume (index 5 of the recorded rows) too
    assert_matches(frame, klines["BTCUSDT_1d"], "BTC")
    calls = src.exchange.session.paths("/v5/market/kline")
    assert [int(q["start"]) for q in calls] == [
        ms("2021-01-01"),
        ms("2021-01-26"),
        ms("2021-02-20"),
    ]
    assert all(q["category"] == "spot" and q["interval"] == "D" for q in calls)


def test_bybit_hourly(bybit_server, klines):
    src = source_for(bybit_server, exchange_id="bybit", page_limit=30)
    span = FetchRange(JAN1, pd.Timestamp("2021-01-03 23:00", tz="UTC"))
    assert_matches(src.fetch_ohlcv("ETH", "1h", span), klines["ETHUSDT_1h"], "ETH")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, ""),
        (418, '{"code":-1003,"msg":"Way too many requests; IP banned until 1609459300000."}'),
        (500, "<html>Internal Server Error</html>"),
        (503, '{"code":-1001,"msg":"Internal error; unable to process your request."}'),
    ],
)
def test_binance_transient_http_errors_are_retried_with_backoff(
    binance_server, klines, sleeps, status, body
):
    binance_server.script = [http_response(status, body), http_response(status, body)]
    src = source_for(binance_server, sleeps=sleeps, page_limit=100)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert_matches(frame, klines["BTCUSDT_1d"], "BTC")
    assert len(src.exchange.session.paths("/klines")) == 3
    assert sleeps == [1.0, 2.0]  # exponential backoff: 1 s, then 2 s


def test_bybit_rate_limit_body_is_retried(bybit_server, klines, sleeps):
    limited = {
        "retCode": 10006,
        "retMsg": "Too many visits!",
        "result": {},
        "retExtInfo": {},
        "time": 1,
    }
    bybit_server.script = [http_response(200, json.dumps(limited))]
    src = source_for(bybit_server, exchange_id="bybit", sleeps=sleeps, page_limit=100)
    assert_matches(
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28)), klines["BTCUSDT_1d"], "BTC"
    )
    assert sleeps == [1.0]


def test_persistent_500_gives_up_with_a_clear_error(binance_server, sleeps):
    binance_server.script = [http_response(500, "<html>oops</html>")] * 10
    src = source_for(
        binance_server,
        sleeps=sleeps,
        retry=RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=1.5),
    )
    with pytest.raises(SourceError, match=r"binance BTC/USDT 1d candles from 2021-01-01.*4 times"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert len(src.exchange.session.paths("/klines")) == 4
    assert sleeps == [0.5, 1.0, 1.5]  # doubled, capped at max_delay_s


def test_malformed_json_is_retried_not_taken_for_an_empty_page(binance_server, klines, sleeps):
    truncated = json.dumps(klines["BTCUSDT_1d"][:20])[:300]
    binance_server.script = [http_response(200, truncated)]
    src = source_for(binance_server, sleeps=sleeps, page_limit=100)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert_matches(frame, klines["BTCUSDT_1d"], "BTC")
    assert sleeps == [1.0]


def test_persistently_malformed_json_raises(binance_server, sleeps):
    binance_server.script = [http_response(200, "<html>gateway</html>", "text/html")] * 5
    src = source_for(binance_server, sleeps=sleeps)
    with pytest.raises(SourceError, match="unparseable response body"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))


def test_empty_page_mid_range_does_not_stop_paging(binance_server, klines):
    hole = [
        ms(d)
        for d in pd.date_range("2021-01-06", "2021-01-15", freq="D", tz="UTC").strftime("%Y-%m-%d")
    ]
    binance_server.holes = set(hole)
    src = source_for(binance_server, page_limit=5)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    expected = [r for r in klines["BTCUSDT_1d"] if r[0] not in binance_server.holes]
    assert_matches(frame, expected, "BTC")  # the hole stays a hole: nothing filled
    assert len(frame) == 59 - 10
    starts = [int(q["startTime"]) for q in src.exchange.session.paths("/klines")]
    assert ms("2021-01-06") in starts and ms("2021-01-11") in starts  # two empty pages, then on
    assert ms("2021-01-16") in starts


def test_unknown_symbol_is_named_and_nothing_is_fetched(binance_server):
    src = source_for(binance_server)
    with pytest.raises(
        UnknownSymbolError, match=r"binance has no market XYZ/USDT.*no market with base XYZ"
    ):
        src.fetch_ohlcv("XYZ", "1d", FetchRange(JAN1, FEB28))
    with pytest.raises(UnknownSymbolError, match=r"ETH/EUR; markets for ETH: ETH/BTC, ETH/USDT"):
        src.fetch_ohlcv("ETH/EUR", "1d", FetchRange(JAN1, FEB28))
    assert src.exchange.session.paths("/klines") == []


def test_exchange_rate_limit_is_enabled_and_used_for_every_request(binance_server):
    assert create_exchange("binance").enableRateLimit is True
    assert create_exchange("bybit").enableRateLimit is True
    src = source_for(binance_server, page_limit=20)
    throttled = []
    src.exchange.throttle = lambda cost=None: throttled.append(cost)
    src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert len(throttled) == len(src.exchange.session.calls)  # exchangeInfo + 3 kline pages
    assert len(throttled) == 4


def test_bad_exchange_id_timeframe_and_credentials_are_refused(binance_server):
    with pytest.raises(DataError, match="did you mean binance"):
        create_exchange("binanse")
    with pytest.raises(DataError, match="apiKey, secret"):
        create_exchange("binance", {"apiKey": "k", "secret": "s"})
    src = source_for(binance_server)
    with pytest.raises(DataError, match="binance has no timeframe '7h'"):
        src.fetch_ohlcv("BTC", "7h", FetchRange(JAN1, FEB28))


def test_ccxt_errors_other_than_network_are_not_retried(binance_server, sleeps):
    binance_server.script = [http_response(400, '{"code":-1100,"msg":"Illegal characters found."}')]
    src = source_for(binance_server, sleeps=sleeps)
    with pytest.raises(SourceError, match="Illegal characters"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert sleeps == []
    assert issubclass(ccxt.RateLimitExceeded, ccxt.NetworkError)
