"""Remote market-data sources and fetching into the local store.

* :class:`CcxtSource` -- any ccxt exchange (``binance``, ``bybit``, ...);
* :class:`CryptoCompareSource` -- CryptoCompare's REST API (daily, hourly);
* :class:`YahooSource` -- Yahoo Finance via yfinance (``BTC-USD``).

Each returns the tidy long frame of :mod:`cryptofolio.data.frame`. :func:`make_source` builds one
from its name, :func:`fetch_to_store` fills the local store (:mod:`cryptofolio.data.store`).

>>> from cryptofolio.data.sources import make_source, fetch_to_store
>>> report = fetch_to_store(make_source("binance"), ["BTC", "ETH"], "1d", "2021-01-01")  # doctest: +SKIP
>>> from cryptofolio.data import load_dataset
>>> load_dataset("binance-1d")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptofolio.data.sources.base import (
    FetchRange,
    MarketDataSource,
    last_closed_open,
    timeframe_seconds,
)
from cryptofolio.data.sources.ccxt_source import CcxtSource, create_exchange
from cryptofolio.data.sources.cryptocompare import CryptoCompareSource
from cryptofolio.data.sources.retry import RetryPolicy, call_with_retry
from cryptofolio.data.sources.sync import (
    FetchPolicy,
    FetchProgress,
    FetchReport,
    SymbolFetch,
    fetch_to_store,
    resolve_span,
)
from cryptofolio.data.sources.yahoo import YahooSource

#: Sources that are not ccxt exchanges.
NAMED_SOURCES = ("cryptocompare", "yahoo")


def make_source(
    name: str,
    *,
    quote: str | None = None,
    exchange_options: Mapping[str, Any] | None = None,
) -> MarketDataSource:
    """Build a source from its name: a ccxt exchange id, ``cryptocompare`` or ``yahoo``.

    Parameters
    ----------
    name
        ``binance``, ``bybit`` (any ccxt id), ``cryptocompare`` or ``yahoo``.
    quote
        Quote currency for symbols given as assets; default ``USDT`` for exchanges and ``USD``
        for CryptoCompare and Yahoo.
    exchange_options
        Extra ccxt configuration (exchanges only).
    """
    key = str(name).strip().lower()
    if key == "cryptocompare":
        return CryptoCompareSource(quote=quote or "USD")
    if key == "yahoo":
        return YahooSource(quote=quote or "USD")
    return CcxtSource(key, quote=quote or "USDT", exchange_options=exchange_options)


__all__ = [
    "NAMED_SOURCES",
    "CcxtSource",
    "CryptoCompareSource",
    "FetchPolicy",
    "FetchProgress",
    "FetchRange",
    "FetchReport",
    "MarketDataSource",
    "RetryPolicy",
    "SymbolFetch",
    "YahooSource",
    "call_with_retry",
    "create_exchange",
    "fetch_to_store",
    "last_closed_open",
    "make_source",
    "resolve_span",
    "timeframe_seconds",
]
