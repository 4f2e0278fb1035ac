"""Candles are validated at ingest: malformed pages are retried then refused, invalid candles are
refused at once, nothing invalid is stored, and rejected rows are logged (replayed, no network)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yfinance
from sources_replay import CryptoCompareReplay, ReplaySession, http_response, replayed_exchange

from cryptofolio.data import store
from cryptofolio.data.sources import (
    CcxtSource,
    CryptoCompareSource,
    FetchRange,
    RetryPolicy,
    YahooSource,
    fetch_to_store,
)
from cryptofolio.data.sources.validation import (
    REJECTED_FILE,
    MalformedPageError,
    RejectedCandlesError,
    check_candles,
    grid_problem,
    parse_rows,
)
from cryptofolio.errors import SourceError

JAN1 = pd.Timestamp("2021-01-01", tz="UTC")
FEB28 = pd.Timestamp("2021-02-28", tz="UTC")
NOW = pd.Timestamp("2021-03-01 12:00", tz="UTC")
DAY_MS = 86_400_000
GOOD = [1609459200000, "28923.63", "29600.0", "28624.57", "29331.69", "54182.925"]


def ccxt_source(server, sleeps, attempts=5):
    return CcxtSource(
        replayed_exchange("binance", server),
        page_limit=100,
        sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=attempts),
    )


# -- structure --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (None, "candle is a NoneType, not a list"),
        ({"t": 1609459200000, "o": "1"}, "candle is a dict, not a list"),
        (GOOD[:3], "candle has 3 field"),
        (["2021-01-01", *GOOD[1:]], "open time '2021-01-01' is not a whole number"),
        ([1609459200000.5, *GOOD[1:]], "open time 1609459200000.5 is not a whole number"),
        ([GOOD[0], "abc", *GOOD[2:]], "open 'abc' is not a number"),
        ([GOOD[0], GOOD[1], None, *GOOD[3:]], "high None is not a number"),
        ([GOOD[0], GOOD[1], True, *GOOD[3:]], "high True is not a number"),
        ([*GOOD[:5], "lots"], "volume 'lots' is not a number"),
    ],
)
def test_malformed_rows_are_named(row, problem):
    with pytest.raises(MalformedPageError, match="row 2: " + problem):
        parse_rows([GOOD, row])


def test_well_formed_rows_are_normalised():
    rows = parse_rows([GOOD, [str(GOOD[0] + DAY_MS), 1, 2, 0.5, 1.5]], time_unit_ms=1)
    assert rows[0] == [GOOD[0], 28923.63, 29600.0, 28624.57, 29331.69, 54182.925]
    assert rows[1][:5] == [GOOD[0] + DAY_MS, 1.0, 2.0, 0.5, 1.5] and np.isnan(rows[1][5])
    with pytest.raises(MalformedPageError, match="expected a list of candles, got dict"):
        parse_rows({"a": 1})


# -- values -----------------------------------------------------------------------------------
def frame(**changes):
    base = {
        "timestamp": [JAN1, JAN1 + pd.Timedelta(days=1)],
        "symbol": ["BTC", "BTC"],
        "open": [10.0, 11.0],
        "high": [12.0, 12.5],
        "low": [9.0, 10.5],
        "close": [11.0, 12.0],
        "volume": [5.0, np.nan],  # NaN volume: unknown, kept
    }
    for key, value in changes.items():
        base[key] = [base[key][0], value]
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"close": -1.0}, "close -1.0 is not a positive finite price"),
        ({"close": np.nan}, "close nan is not a positive finite price"),
        ({"open": np.inf}, "open inf is not a positive finite price"),
        ({"low": 0.0}, "low 0.0 is not a positive finite price"),
        ({"high": 10.0, "low": 12.0}, "high 10.0 is below max"),
        ({"low": 11.5}, r"low 11.5 is above min\(open, close\) = 11.0"),
        ({"high": 11.5}, r"high 11.5 is below max\(open, close\) = 12.0"),
        ({"volume": -3.0}, "volume -3.0 is negative"),
        ({"timestamp": JAN1 + pd.Timedelta(hours=30)}, "is not on the 1d grid"),
    ],
)
def test_invalid_candles_are_refused_naming_source_market_and_candle(changes, problem):
    bad = frame(**changes)
    with pytest.raises(RejectedCandlesError, match=problem) as info:
        check_candles(bad, source="binance", market="BTC/USDT", timeframe="1d")
    message = str(info.value)
    assert message.startswith("binance BTC/USDT 1d: invalid candle at ")
    assert str(bad["timestamp"].iloc[1]) in message
    assert len(info.value.rejected) == 1 and isinstance(info.value, SourceError)


def test_valid_candles_pass_unchanged():
    good = frame()
    assert check_candles(good, source="x", market="BTC/USD", timeframe="1d") is good


@pytest.mark.parametrize(
    ("stamp", "timeframe", "ok"),
    [
        ("2021-01-01 05:00", "1h", True),
        ("2021-01-01 05:30", "1h", False),
        ("2021-01-01 04:00", "4h", True),
        ("2021-01-01 06:00", "4h", False),
        ("2021-01-04", "1w", True),  # a Monday
        ("2021-01-07", "1w", False),  # a Thursday
        ("2021-02-01", "1M", True),
        ("2021-02-02", "1M", False),
    ],
)
def test_timeframe_grid(stamp, timeframe, ok):
    assert (grid_problem(pd.Timestamp(stamp, tz="UTC"), timeframe) is None) is ok


# -- through the sources ----------------------------------------------------------------------
MALFORMED_PAGES = {
    "row-none": lambda good: [good[0], None],
    "row-dict": lambda good: [good[0], {"open": good[1][1]}],
    "string-timestamp": lambda good: [good[0], ["2021-01-02", *good[1][1:]]],
    "non-numeric": lambda good: [good[0], [good[1][0], "abc", *good[1][2:]]],
    "short-row": lambda good: [good[0], good[1][:3]],
    "page-dict": lambda good: {"candles": "none"},
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_PAGES))
def test_binance_malformed_page_is_retried_then_the_good_one_kept(
    binance_server, klines, sleeps, kind
):
    page = MALFORMED_PAGES[kind](klines["BTCUSDT_1d"])
    binance_server.script = [http_response(200, json.dumps(page))]
    got = ccxt_source(binance_server, sleeps).fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert len(got) == 59 and sleeps == [1.0]


@pytest.mark.parametrize("kind", sorted(MALFORMED_PAGES))
def test_binance_persistently_malformed_page_is_refused_and_logged(
    binance_server, klines, sleeps, tmp_path, kind
):
    page = MALFORMED_PAGES[kind](klines["BTCUSDT_1d"])
    binance_server.script = [http_response(200, json.dumps(page))] * 3
    src = ccxt_source(binance_server, sleeps, attempts=3)
    with pytest.raises(
        RejectedCandlesError,
        match=r"binance BTC/USDT 1d candles from 2021-01-01.*"
        r"malformed answer 3 time\(s\)",
    ) as info:
        fetch_to_store(src, ["BTC"], "1d", "2021-01-01", data_dir=tmp_path, now=NOW)
    assert "rejected rows logged in" in str(info.value)
    assert store.read_series("binance-1d", "BTC", tmp_path) is None  # nothing stored
    log = pd.read_csv(tmp_path / "binance-1d" / REJECTED_FILE)
    assert log["symbol"].tolist() == ["BTC"] and log["market"].tolist() == ["BTC/USDT"]


def test_binance_invalid_candle_is_refused_at_once_and_never_stored(
    binance_server, klines, sleeps, tmp_path
):
    good = fetch_to_store(
        ccxt_source(binance_server, sleeps),
        ["BTC"],
        "1d",
        "2021-01-01",
        "2021-01-31",
        data_dir=tmp_path,
        now=NOW,
    )
    assert good.symbols[0].rows_stored == 31
    rows = klines["BTCUSDT_1d"]
    feb10 = next(i for i, r in enumerate(rows) if r[0] == JAN1.value // 10**6 + 40 * DAY_MS)
    rows[feb10][4] = "-5"  # a negative close on 2021-02-10
    rows[feb10 + 1][3] = str(float(rows[feb10 + 1][2]) * 2)  # low above high on 2021-02-11
    with pytest.raises(
        RejectedCandlesError,
        match=r"binance BTC/USDT 1d: invalid candle at 2021-02-10 00:00:00\+00:00: close -5.0 is "
        r"not a positive finite price \(and 1 more\)",
    ):
        fetch_to_store(
            ccxt_source(binance_server, sleeps),
            ["BTC"],
            "1d",
            "2021-01-01",
            data_dir=tmp_path,
            now=NOW,
        )
    assert sleeps == []  # not retried: the exchange would send the same
    kept = store.read_series("binance-1d", "BTC", tmp_path)
    assert kept.frame["timestamp"].max() == pd.Timestamp("2021-01-31", tz="UTC")  # January only
    assert (kept.frame["close"] > 0).all()
    log = pd.read_csv(tmp_path / "binance-1d" / REJECTED_FILE)
    assert log["timestamp"].tolist() == ["2021-02-10 00:00:00+00:00", "2021-02-11 00:00:00+00:00"]
    assert "low" in log["problem"].iloc[1] and "recorded_at" in log.columns


def cc_source(server, sleeps, attempts=5):
    return CryptoCompareSource(
        session=ReplaySession(server), sleep=sleeps.append, retry=RetryPolicy(attempts)
    )


@pytest.mark.parametrize(
    ("corrupt", "problem"),
    [
        (lambda rows: rows.__setitem__(3, None), "candle is a NoneType, not an object"),
        (lambda rows: rows.__setitem__(3, [1, 2, 3]), "candle is a list, not an object"),
        (lambda rows: rows[3].__setitem__("time", "2021-01-04"), "open time '2021-01-04'"),
        (lambda rows: rows[3].pop("close"), "candle lacks close"),
        (lambda rows: rows[3].__setitem__("high", "n/a"), "high 'n/a' is not a number"),
    ],
)
def test_cryptocompare_malformed_candles_are_retried_then_refused(
    server_cc, sleeps, corrupt, problem
):
    query = {"fsym": "BTC", "tsym": "USD", "toTs": str(int(FEB28.timestamp())), "limit": "2000"}
    body = server_cc("/data/v2/histoday", query, {})
    payload = json.loads(body.content)
    corrupt(payload["Data"]["Data"])
    server_cc.script = [http_response(200, json.dumps(payload))] * 2
    src = cc_source(server_cc, sleeps, attempts=2)
    with pytest.raises(RejectedCandlesError, match=f"cryptocompare BTC/USD 1d.*row 4: {problem}"):
        src.fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert sleeps == [1.0]


@pytest.fixture
def server_cc():
    return CryptoCompareReplay()


def test_yahoo_junk_cells_are_malformed_and_nan_prices_are_refused(monkeypatch, tmp_path):
    index = pd.date_range("2021-01-01", periods=3, tz="UTC", name="Date")
    clean = pd.DataFrame(
        {
            "Open": [1.0, 2.0, 3.0],
            "High": [2.0, 3.0, 4.0],
            "Low": [0.5, 1.5, 2.5],
            "Close": [1.5, 2.5, 3.5],
            "Volume": [10.0, 11.0, 12.0],
        },
        index=index,
    )
    junk = clean.astype(object)
    junk.iloc[1, 3] = "n/a"
    answers = [junk, junk]
    monkeypatch.setattr(yfinance.Ticker, "history", lambda self, **kw: answers.pop(0))
    sleeps: list[float] = []
    src = YahooSource(sleep=sleeps.append, retry=RetryPolicy(max_attempts=2))
    span = FetchRange(JAN1, pd.Timestamp("2021-01-03", tz="UTC"))
    with pytest.raises(RejectedCandlesError, match="row 2: close 'n/a' is not a number"):
        src.fetch_ohlcv("BTC", "1d", span)
    assert sleeps == [1.0]

    holey = clean.copy()
    holey.iloc[2, 3] = np.nan
    monkeypatch.setattr(yfinance.Ticker, "history", lambda self, **kw: holey)
    with pytest.raises(
        RejectedCandlesError, match="yahoo BTC/USD 1d: invalid candle at 2021-01-03"
    ):
        fetch_to_store(src, ["BTC"], "1d", "2021-01-01", "2021-01-03", data_dir=tmp_path, now=NOW)
    assert store.read_series("yahoo-1d", "BTC", tmp_path) is None
