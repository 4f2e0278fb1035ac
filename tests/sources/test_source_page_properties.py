"""Hypothesis over exchange pages: whatever rows an exchange sends (malformed rows, wrong types,
impossible values), a fetch either stores exactly the clean candles or raises a SourceError naming
the exchange and the market, and stores nothing; never another exception."""

from __future__ import annotations

import json
import tempfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sources_replay import (
    BinanceReplay,
    ReplaySession,
    http_response,
    load_fixture,
    replayed_exchange,
)

from cryptofolio.data import store
from cryptofolio.data.sources import CcxtSource, RetryPolicy, fetch_to_store
from cryptofolio.errors import SourceError

NOW = pd.Timestamp("2021-03-01 12:00", tz="UTC")
N = 10  # candles of 2021-01-01 .. 2021-01-10
HOUR_MS = 3_600_000


def _set(row, i, value):
    out = list(row)
    out[i] = value
    return out


#: How one row goes bad; each gives a row an exchange might send.
MUTATIONS = {
    "none-row": lambda r: None,
    "dict-row": lambda r: {"t": r[0], "o": r[1], "c": r[4]},
    "short": lambda r: r[:4],
    "empty": lambda r: [],
    "string-time": lambda r: _set(r, 0, "2021-01-01T00:00:00Z"),
    "null-time": lambda r: _set(r, 0, None),
    "text-price": lambda r: _set(r, 4, "n/a"),
    "null-price": lambda r: _set(r, 2, None),
    "bool-price": lambda r: _set(r, 1, True),
    "list-price": lambda r: _set(r, 3, [1, 2]),
    "negative": lambda r: _set(r, 4, "-1"),
    "zero": lambda r: _set(r, 1, "0"),
    "nan": lambda r: _set(r, 3, "NaN"),
    "inf": lambda r: _set(r, 2, "Infinity"),
    "high-below-low": lambda r: _set(_set(r, 2, r[3]), 3, r[2]),
    "negative-volume": lambda r: _set(r, 5, "-5"),
    "off-grid": lambda r: _set(r, 0, r[0] + HOUR_MS),
}

rows_plan = st.lists(
    st.one_of(st.none(), st.sampled_from(sorted(MUTATIONS))), min_size=N, max_size=N
).filter(lambda plan: plan[-1] != "off-grid")  # a last row moved past the range is not asked for


@pytest.fixture(scope="module")
def exchange_and_page():
    """One replayed binance (markets loaded once) whose kline answer is ``page[0]``."""
    klines = load_fixture("binance_klines.json")
    server = BinanceReplay(klines)
    page: list = [None]

    def handler(path, query, headers):
        if path.endswith("/klines"):
            return http_response(200, json.dumps(page[0]))
        return server(path, query, headers)

    exchange = replayed_exchange("binance", server)
    exchange.session = ReplaySession(handler)
    exchange.load_markets()
    return exchange, page, klines["BTCUSDT_1d"][:N]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=rows_plan)
@example(plan=[None] * N)
@example(plan=[None] * (N - 1) + ["nan"])
def test_a_page_is_stored_clean_or_refused_whole(exchange_and_page, plan):
    exchange, page, good = exchange_and_page
    page[0] = [row if m is None else MUTATIONS[m](row) for row, m in zip(good, plan, strict=True)]
    source = CcxtSource(exchange, sleep=lambda s: None, retry=RetryPolicy(max_attempts=2))
    with tempfile.TemporaryDirectory() as folder:
        try:
            report = fetch_to_store(
                source, ["BTC"], "1d", "2021-01-01", "2021-01-10", data_dir=folder, now=NOW
            )
        except SourceError as exc:
            assert any(m is not None for m in plan), f"clean page refused: {exc}"
            assert str(exc).startswith("binance BTC/USDT 1d")
            assert store.read_series("binance-1d", "BTC", folder) is None  # nothing stored
            return
        assert all(m is None for m in plan), f"a page with {plan} was stored"
        assert report.symbols[0].rows_stored == N
        stored = store.read_series("binance-1d", "BTC", folder).frame
        assert stored["close"].tolist() == [float(r[4]) for r in good]
