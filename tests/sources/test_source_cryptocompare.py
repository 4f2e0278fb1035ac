"""CryptoCompare source against a replayed REST API (documented v2 histoday/histohour format)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from sources_replay import CryptoCompareReplay, ReplaySession, http_response

from cryptofolio.data.sources import CryptoCompareSource, FetchRange
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

JAN1 = pd.Timestamp("2021-01-01", tz="UTC")
FEB28 = pd.Timestamp("2021-02-28", tz="UTC")


@pytest.fixture
def server():
    return CryptoCompareReplay()


def make_source(server, sleeps=None, **kwargs):
    return CryptoCompareSource(
        session=ReplaySession(server),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def reference(candles):
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime([c["time"] for c in candles], unit="s", utc=True).as_unit(
                "ns"
            ),
            **{k: [float(c[k]) for c in candles] for k in ("open", "high", "low", "close")},
            "volume": [float(c["volumeto"]) for c in candles],
        }
    )


def assert_matches(frame, candles, asset):
    ref = reference(candles)
    assert list(frame["symbol"].unique()) == [asset]
    pd.testing.assert_series_equal(frame["timestamp"], ref["timestamp"])
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(frame[col], ref[col], rtol=1e-12)
    assert frame["market_cap"].isna().all()


def test_daily_pages_backwards_with_to_ts(server, monkeypatch):
    monkeypatch.delenv("CRYPTOCOMPARE_API_KEY", raising=False)
    src = make_source(server, page_limit=20)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert_matches(frame, server.payloads["histoday_BTC_USD"]["Data"]["Data"], "BTC")
    calls = src.session.paths("histoday")
    expected_to = [
        FEB28,
        pd.Timestamp("2021-02-07", tz="UTC"),
        pd.Timestamp("2021-01-17", tz="UTC"),
    ]
    assert [int(q["toTs"]) for q in calls] == [int(t.timestamp()) for t in expected_to]
    assert all(q["fsym"] == "BTC" and q["tsym"] == "USD" and q["limit"] == "20" for q in calls)


def test_no_api_key_means_no_authorization_header(server, monkeypatch):
    monkeypatch.delenv("CRYPTOCOMPARE_API_KEY", raising=False)
    seen = []

    def spy(path, q, headers):
        seen.append({k.lower() for k in headers})
        return server(path, q, headers)

    CryptoCompareSource(session=ReplaySession(spy)).fetch_ohlcv(
        "BTC", "1d", FetchRange(JAN1, FEB28)
    )
    assert seen and all("authorization" not in h for h in seen)


def test_default_page_is_2000_and_placeholders_before_listing_are_counted(server):
    src = make_source(server)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(pd.Timestamp("2020-12-20", tz="UTC"), FEB28))
    assert frame["timestamp"].min() == JAN1  # the 12 zero-price days are not prices
    assert src.placeholders_skipped == 12
    assert [q["limit"] for q in src.session.paths("histoday")] == ["2000"]


def test_hourly(server):
    src = make_source(server, page_limit=30)
    span = FetchRange(JAN1, pd.Timestamp("2021-01-03 23:00", tz="UTC"))
    frame = src.fetch_ohlcv("ETH", "1h", span)
    assert_matches(frame, server.payloads["histohour_ETH_USD"]["Data"]["Data"], "ETH")
    assert len(src.session.paths("histohour")) == 3


def test_api_key_from_environment_is_sent_as_header_and_never_shown(server, monkeypatch, caplog):
    secret = "s3cr3t-key-0123456789"
    monkeypatch.setenv("CRYPTOCOMPARE_API_KEY", secret)
    seen = []

    def spy(path, q, headers):
        seen.append(headers)
        return server(path, q, headers)

    src = CryptoCompareSource(session=ReplaySession(spy), sleep=lambda s: None)
    caplog.set_level(logging.DEBUG)
    src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert seen and all(h.get("authorization") == f"Apikey {secret}" for h in seen)
    assert secret not in repr(src) and secret not in caplog.text
    with pytest.raises(UnknownSymbolError) as err:
        src.fetch_ohlcv("XYZ", "1d", FetchRange(JAN1, FEB28))
    assert secret not in str(err.value)


def test_unknown_symbol_is_named_and_not_retried(server, sleeps):
    src = make_source(server, sleeps=sleeps)
    with pytest.raises(
        UnknownSymbolError, match=r"does not know XYZ/USD.*no data for the symbol XYZ"
    ):
        src.fetch_ohlcv("XYZ", "1d", FetchRange(JAN1, FEB28))
    assert sleeps == [] and len(src.session.calls) == 1


@pytest.mark.parametrize(
    "failure",
    [
        lambda p: http_response(200, json.dumps(p["error_rate_limit"])),
        lambda p: http_response(429, json.dumps(p["error_rate_limit"])),
        lambda p: http_response(500, "<html>500 Internal Server Error</html>", "text/html"),
        lambda p: http_response(200, '{"Response":"Success","Data":{"Data":[{"time":16094'),
        lambda p: http_response(200, '{"Response":"Success","Message":"","Data":{}}'),
    ],
    ids=["rate-limit-body", "http-429", "http-500", "truncated-json", "no-data-list"],
)
def test_transient_failures_are_retried(server, sleeps, failure):
    server.script = [failure(server.payloads), failure(server.payloads)]
    src = make_source(server, sleeps=sleeps)
    frame = src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert_matches(frame, server.payloads["histoday_BTC_USD"]["Data"]["Data"], "BTC")
    assert sleeps == [1.0, 2.0]


def test_persistent_failure_raises_source_error(server, sleeps):
    server.script = [http_response(503, "unavailable", "text/plain")] * 5
    src = make_source(server, sleeps=sleeps)
    with pytest.raises(SourceError, match=r"cryptocompare BTC/USD 1d .*failed 5 times.*HTTP 503"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))


def test_other_api_errors_are_raised_with_their_message(server, sleeps):
    server.script = [http_response(200, json.dumps(server.payloads["error_bad_param"]))]
    src = make_source(server, sleeps=sleeps)
    with pytest.raises(SourceError, match="limit param is not an integer"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert sleeps == []


def test_unsupported_timeframe(server):
    with pytest.raises(DataError, match="CryptoCompare has no timeframe '4h'"):
        make_source(server).fetch_ohlcv("BTC", "4h", FetchRange(JAN1, FEB28))
