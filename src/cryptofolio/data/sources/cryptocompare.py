"""CryptoCompare REST API: daily (``histoday``) and hourly (``histohour``) candles.

Paging
    CryptoCompare pages *backwards*: a request with ``toTs=T`` and ``limit=2000`` returns the
    2001 candles ending at ``T`` (``Data.TimeFrom`` .. ``Data.TimeTo``). The next request asks for
    ``toTs = TimeFrom - 1 period`` until the start of the range is reached.
API key
    Optional; read from the environment variable ``CRYPTOCOMPARE_API_KEY`` and sent as the header
    ``authorization: Apikey <key>``. It is never printed, logged or put into an error message.
Errors
    A body with ``"Response": "Error"`` becomes an error naming the message; unknown symbols
    (``"There is no data for the symbol ..."``) an :class:`~cryptofolio.errors.UnknownSymbolError`;
    rate limits (``Type`` 99 or HTTP 429), 5xx answers, time-outs, unparseable bodies and
    malformed candles (:mod:`.validation`) are retried with backoff; other network failures
    become a :class:`~cryptofolio.errors.SourceError`.
Placeholders
    Before a coin traded, CryptoCompare answers with candles whose prices are all 0. They are not
    prices, so they are left out; :attr:`CryptoCompareSource.placeholders_skipped` counts them
    and ``cryptofolio data fetch`` reports the count.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import requests

from cryptofolio.data.sources.base import FetchRange, PageCallback, candles_frame, timeframe_seconds
from cryptofolio.data.sources.retry import RetryPolicy, TransientSourceError, call_with_retry
from cryptofolio.data.sources.validation import MalformedPageError, mapping_rows
from cryptofolio.data.symbols import split_market, to_market
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

BASE_URL = "https://min-api.cryptocompare.com/data/v2"
ENV_API_KEY = "CRYPTOCOMPARE_API_KEY"
ENDPOINTS = {"1d": "histoday", "1h": "histohour", "1m": "histominute"}
MAX_LIMIT = 2000
#: Fields of a CryptoCompare candle: open time (s), prices, volume in the quote currency.
ROW_KEYS = ("time", "open", "high", "low", "close", "volumeto")
_TRANSIENT = (TransientSourceError, requests.ConnectionError, requests.Timeout)


class CryptoCompareSource:
    """Daily or hourly candles from CryptoCompare's aggregated index (``e=CCCAGG``).

    Parameters
    ----------
    quote
        Quote currency (``tsym``), ``USD`` by default; volume is CryptoCompare's ``volumeto``,
        i.e. already in the quote currency.
    api_key
        API key; default: ``$CRYPTOCOMPARE_API_KEY`` (optional, raises the rate limit).
    session
        A :class:`requests.Session` (tests pass one that replays recorded payloads).
    retry, sleep
        Retry policy and the wait function (tests inject a no-op).
    page_limit
        Candles per request (at most 2000, CryptoCompare's maximum).
    """

    name = "cryptocompare"

    def __init__(
        self,
        *,
        quote: str = "USD",
        api_key: str | None = None,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_limit: int = MAX_LIMIT,
        timeout_s: float = 30.0,
    ) -> None:
        if not 1 <= page_limit <= MAX_LIMIT:
            raise DataError(f"page_limit must be between 1 and {MAX_LIMIT} (got {page_limit})")
        self.quote = quote.strip().upper()
        self._api_key = api_key if api_key is not None else os.environ.get(ENV_API_KEY) or None
        self.session = session or requests.Session()
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.page_limit = page_limit
        self.timeout_s = timeout_s
        self.placeholders_skipped = 0

    def __repr__(self) -> str:  # never shows the key itself
        key = "set" if self._api_key else "none"
        return f"CryptoCompareSource(quote={self.quote!r}, api_key={key})"

    def market_for(self, symbol: str) -> str:
        """``BTC`` -> ``BTC/USD`` (CryptoCompare's ``fsym``/``tsym`` pair)."""
        return to_market(symbol, self.quote)

    def quote_for(self, symbol: str) -> str:
        """The quote currency of ``symbol`` (its market's, else :attr:`quote`); no request is made."""
        return split_market(self.market_for(symbol))[1]

    def asset_for(self, symbol: str) -> str:
        """The asset ``symbol`` stands for (``BTC/USD`` -> ``BTC``)."""
        return split_market(self.market_for(symbol))[0]

    def estimate_pages(self, timeframe: str, span: FetchRange) -> int:
        n_candles = (span.end - span.start).total_seconds() // timeframe_seconds(timeframe) + 1
        return max(1, math.ceil(n_candles / (self.page_limit + 1)))

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Apikey {self._api_key}"} if self._api_key else {}

    def _get(self, endpoint: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        url = f"{BASE_URL}/{endpoint}"

        def request() -> dict[str, Any]:
            resp = self.session.get(
                url, params=params, headers=self._headers(), timeout=self.timeout_s
            )
            if resp.status_code == 429 or resp.status_code >= 500:
                raise TransientSourceError(f"HTTP {resp.status_code} from {url}")
            try:
                body = resp.json()
            except ValueError as exc:
                raise TransientSourceError(
                    f"unparseable JSON from {url}: {resp.text[:80]!r}"
                ) from exc
            if not isinstance(body, dict):
                raise TransientSourceError(f"unexpected JSON from {url}: {str(body)[:80]!r}")
            if body.get("Response") == "Error":
                message = str(body.get("Message", "")).strip()
                if body.get("Type") == 99 or "rate limit" in message.lower():
                    raise TransientSourceError(f"rate limited: {message}")
                if (
                    "no data for the symbol" in message.lower()
                    or body.get("ParamWithError") == "fsym"
                ):
                    raise UnknownSymbolError(
                        f"{what}: CryptoCompare does not know {params['fsym']}/{params['tsym']} "
                        f"({message}); check the symbol or --quote"
                    )
                raise SourceError(f"{what}: CryptoCompare answered with an error: {message}")
            if resp.status_code >= 400:
                raise SourceError(f"{what}: HTTP {resp.status_code} from {url}")
            data = body.get("Data")
            if not isinstance(data, dict) or not isinstance(data.get("Data"), list):
                raise MalformedPageError(f"response from {url} has no Data.Data list")
            time_from = data.get("TimeFrom")
            if time_from is not None and (
                isinstance(time_from, bool) or not isinstance(time_from, int)
            ):
                raise MalformedPageError(f"Data.TimeFrom {time_from!r} is not a whole number")
            return {**data, "rows": mapping_rows(data["Data"], ROW_KEYS, time_unit_ms=1000)}

        return call_with_retry(
            request,
            what=what,
            transient=_TRANSIENT,
            policy=self.retry,
            sleep=self.sleep,
            fatal=(requests.RequestException,),
        )

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        span: FetchRange,
        *,
        on_page: PageCallback | None = None,
    ) -> pd.DataFrame:
        """Candles of ``symbol`` opening within ``span`` as the long frame (volume = ``volumeto``).

        Raises
        ------
        DataError
            For a timeframe other than ``1d``, ``1h`` or ``1m``.
        UnknownSymbolError
            When CryptoCompare has no data for the pair.
        """
        if timeframe not in ENDPOINTS:
            raise DataError(
                f"CryptoCompare has no timeframe {timeframe!r}; use one of {', '.join(ENDPOINTS)}"
            )
        base, quote = split_market(self.market_for(symbol))
        step_s = timeframe_seconds(timeframe)
        start_s = int(span.start.timestamp())
        to_ts = int(span.end.timestamp())
        rows: list[list[float]] = []
        while to_ts >= start_s:
            params = {
                "fsym": base,
                "tsym": quote,
                "limit": self.page_limit,
                "toTs": to_ts,
                "e": "CCCAGG",
            }
            what = f"cryptocompare {base}/{quote} {timeframe} up to {pd.Timestamp(to_ts, unit='s', tz='UTC')}"
            data = self._get(ENDPOINTS[timeframe], params, what)
            page = 0
            for ts_ms, *prices, volume in data["rows"]:
                if not start_s * 1000 <= ts_ms <= to_ts * 1000:
                    continue
                if all(p == 0.0 for p in prices):
                    self.placeholders_skipped += 1
                    continue
                rows.append([ts_ms, *prices, volume])
                page += 1
            if on_page is not None:
                on_page(page)
            time_from = data.get("TimeFrom")
            if not data["Data"] or time_from is None:
                break  # nothing older exists
            if int(time_from) - step_s >= to_ts:
                raise SourceError(
                    f"{what}: the answer does not move back in time (TimeFrom {time_from})"
                )
            to_ts = int(time_from) - step_s
        rows.sort(key=lambda r: r[0])
        return candles_frame(rows, asset=base, source=f"cryptocompare {base}/{quote}")
