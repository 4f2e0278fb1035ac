"""Exchanges through ccxt: OHLCV candles of any ccxt exchange (Binance and Bybit are tested).

Paging
    The range is walked forward in windows of ``page_limit`` candles: each request asks for
    ``since=cursor, limit=page_limit, until=window end``. The next window starts one timeframe
    after the newest candle received (or after the window if it was empty: an exchange outage or
    a coin not yet listed leaves a hole in the data, never a stop). Candles outside the window are
    ignored, so every candle is fetched once.
Rate limit
    The exchange is created with ``enableRateLimit=True``: ccxt waits ``exchange.rateLimit`` ms
    between requests, as the exchange asks.
Retries
    HTTP 429/418, 5xx, time-outs and dropped connections (``ccxt.NetworkError`` and subclasses:
    ``RateLimitExceeded``, ``DDoSProtection``, ``ExchangeNotAvailable``, ``RequestTimeout``; more
    broadly ccxt's ``OperationFailed``, its class for failures that may pass on a retry),
    unparseable response bodies and malformed rows (checked in the raw answer, since ccxt's
    parser drops rows it cannot read; :mod:`.validation`) are retried with exponential backoff
    (:mod:`.retry`). Other ccxt errors (a bad request, an unknown symbol) are raised at once.
Volume
    ccxt's unified candles carry the *base* volume (BTC traded). The long frame holds volume in the
    quote currency, so it is approximated as ``base volume * close`` (the exchange's exact quote
    volume is not part of ccxt's unified format).
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import ccxt
import pandas as pd

from cryptofolio.data.sources.base import FetchRange, PageCallback, candles_frame, timeframe_seconds
from cryptofolio.data.sources.retry import RetryPolicy, TransientSourceError, call_with_retry
from cryptofolio.data.sources.validation import MalformedPageError, find_rows, parse_rows
from cryptofolio.data.symbols import split_market, to_market
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

#: Errors worth retrying: ccxt maps HTTP 429/418 to DDoSProtection/RateLimitExceeded, 5xx to
#: ExchangeNotAvailable, time-outs to RequestTimeout (all NetworkError), and exchange error codes
#: meaning "try again" (Binance -1001 "internal error") to OperationFailed, NetworkError's parent.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ccxt.OperationFailed, TransientSourceError)

#: Credentials are never needed for public market data and never accepted here.
CREDENTIAL_KEYS = frozenset(
    {"apiKey", "secret", "password", "uid", "login", "privateKey", "walletAddress", "token"}
)


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def create_exchange(exchange_id: str, options: Mapping[str, Any] | None = None) -> ccxt.Exchange:
    """Create a ccxt exchange for public market data, with its rate limit enabled.

    Parameters
    ----------
    exchange_id
        A ccxt exchange id (``binance``, ``bybit``, ``kraken``, ...).
    options
        Extra ccxt configuration merged into the defaults, e.g.
        ``{"options": {"defaultType": "spot"}}``. Credentials are refused.
    """
    eid = str(exchange_id).strip().lower()
    if eid not in ccxt.exchanges:
        close = difflib.get_close_matches(eid, ccxt.exchanges, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise DataError(
            f"unknown source {exchange_id!r}: not a ccxt exchange id; {hint}"
            "use a ccxt id such as binance or bybit, or 'cryptocompare' or 'yahoo'"
        )
    extra = dict(options or {})
    refused = sorted(CREDENTIAL_KEYS & set(extra))
    if refused:
        raise DataError(
            f"exchange option(s) {', '.join(refused)} refused: fetching public market data needs "
            "no credentials, and they are never passed on the command line"
        )
    config = _deep_merge({"enableRateLimit": True, "enableLastJsonResponse": True}, extra)
    return getattr(ccxt, eid)(config)


class CcxtSource:
    """OHLCV candles from one ccxt exchange.

    Parameters
    ----------
    exchange
        A ccxt exchange id or an exchange object (tests pass one whose HTTP session replays
        recorded payloads).
    quote
        Quote currency for symbols given as assets (``BTC`` -> ``BTC/USDT``).
    page_limit
        Candles asked for per request (Binance and Bybit serve up to 1000).
    retry
        Retry and backoff policy for transient errors.
    sleep
        Function used to wait between retries (tests inject a no-op).
    exchange_options
        Extra ccxt configuration when ``exchange`` is an id.
    """

    def __init__(
        self,
        exchange: str | ccxt.Exchange,
        *,
        quote: str = "USDT",
        page_limit: int = 1000,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        exchange_options: Mapping[str, Any] | None = None,
    ) -> None:
        if page_limit < 1:
            raise DataError(f"page_limit must be at least 1 (got {page_limit})")
        self.exchange = (
            create_exchange(exchange, exchange_options) if isinstance(exchange, str) else exchange
        )
        self.exchange.enableLastJsonResponse = True
        self.name: str = self.exchange.id
        self.quote = quote.strip().upper()
        self.page_limit = page_limit
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._markets_loaded = False

    def __repr__(self) -> str:
        return f"CcxtSource({self.name!r}, quote={self.quote!r}, page_limit={self.page_limit})"

    # -- markets ---------------------------------------------------------------------------
    def _call(self, func: Callable[[], Any], what: str) -> Any:
        try:
            return call_with_retry(
                func, what=what, transient=TRANSIENT_ERRORS, policy=self.retry, sleep=self.sleep
            )
        except ccxt.BadSymbol as exc:
            raise UnknownSymbolError(
                f"{what}: the exchange does not know the symbol ({exc})"
            ) from exc
        except ccxt.BaseError as exc:
            raise SourceError(f"{what}: {type(exc).__name__}: {exc}") from exc

    def _load_markets(self) -> dict[str, Any]:
        if not self._markets_loaded:
            self._call(self.exchange.load_markets, f"{self.name}: loading the market list")
            self._markets_loaded = True
        return self.exchange.markets

    def market_for(self, symbol: str) -> str:
        """The exchange market for ``symbol`` (``BTC`` -> ``BTC/USDT``; ``ETH/BTC`` kept).

        Raises
        ------
        UnknownSymbolError
            Naming the market and listing the quotes the exchange has for that base.
        """
        market = to_market(symbol, self.quote)
        markets = self._load_markets()
        if market not in markets:
            base = split_market(market)[0]
            same_base = sorted(m for m, v in markets.items() if v.get("base") == base)[:8]
            hint = (
                f"markets for {base}: {', '.join(same_base)} (choose with --quote)"
                if same_base
                else f"{self.name} lists no market with base {base}; check the symbol"
            )
            raise UnknownSymbolError(f"{self.name} has no market {market}; {hint}")
        return market

    def quote_for(self, symbol: str) -> str:
        """The quote currency of ``symbol`` (its market's, else :attr:`quote`); no request is made."""
        return split_market(to_market(symbol, self.quote))[1]

    def asset_for(self, symbol: str) -> str:
        """The asset ``symbol`` stands for (``BTC/USDT`` -> ``BTC``); no request is made."""
        return split_market(to_market(symbol, self.quote))[0]

    # -- candles -------------------------------------------------------------------------------
    def _check_timeframe(self, timeframe: str) -> None:
        if not self.exchange.has.get("fetchOHLCV"):
            raise DataError(f"{self.name} does not provide OHLCV candles through ccxt")
        known = self.exchange.timeframes or {}
        if known and timeframe not in known:
            raise DataError(
                f"{self.name} has no timeframe {timeframe!r}; it offers {', '.join(known)}"
            )

    def estimate_pages(self, timeframe: str, span: FetchRange) -> int:
        n_candles = (span.end - span.start).total_seconds() // timeframe_seconds(timeframe) + 1
        return max(1, math.ceil(n_candles / self.page_limit))

    def _raw_rows(self, candles: list[Any]) -> None:
        """Check the rows of the answer as the exchange sent them: ccxt's parser silently drops
        rows it cannot read (``None``, a dict, a string timestamp), which would leave a hole."""
        body = self.exchange.last_json_response
        if body is None:
            text = str(self.exchange.last_http_response or "").strip()
            if text and not candles:
                raise MalformedPageError(f"unparseable response body: {text[:80]!r}")
            return
        rows = find_rows(body)
        if rows is None:
            if candles:
                return
            raise MalformedPageError(f"the answer holds no list of candles: {str(body)[:80]!r}")
        parse_rows(rows)

    def _page(self, market: str, timeframe: str, since_ms: int, until_ms: int) -> list[list[float]]:
        what = (
            f"{self.name} {market} {timeframe} candles from "
            f"{pd.Timestamp(since_ms, unit='ms', tz='UTC')}"
        )

        def request() -> list[list[float]]:
            self.exchange.last_http_response = None
            self.exchange.last_json_response = None
            try:
                candles = self.exchange.fetch_ohlcv(
                    market,
                    timeframe,
                    since=since_ms,
                    limit=self.page_limit,
                    params={"until": until_ms},
                )
            except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                # ccxt's own parser choked on the answer: a malformed page
                raise MalformedPageError(f"ccxt cannot parse the answer ({exc})") from exc
            self._raw_rows(candles)
            return parse_rows(candles, volume_required=False)

        return self._call(request, what)

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        span: FetchRange,
        *,
        on_page: PageCallback | None = None,
    ) -> pd.DataFrame:
        """Candles of ``symbol`` (asset or market) opening within ``span``, as the long frame.

        Parameters
        ----------
        symbol
            ``BTC`` (quoted in :attr:`quote`) or a market ``BTC/USDT``.
        timeframe
            A ccxt timeframe the exchange offers (``1h``, ``1d``, ...).
        span
            Inclusive range of candle open times.
        on_page
            Called after each request with the number of candles it brought.

        Returns
        -------
        pandas.DataFrame
            Long frame keyed by the market's base asset; volume in the quote currency
            (base volume x close). Holes in the exchange's history stay holes.
        """
        self._check_timeframe(timeframe)
        market = self.market_for(symbol)
        asset = split_market(market)[0]
        step_ms = timeframe_seconds(timeframe) * 1000
        start_ms = int(span.start.timestamp() * 1000)
        end_ms = int(span.end.timestamp() * 1000)
        rows: list[list[float]] = []
        cursor = start_ms
        while cursor <= end_ms:
            window_end = min(end_ms, cursor + self.page_limit * step_ms - 1)
            page = [
                c
                for c in self._page(market, timeframe, cursor, window_end)
                if cursor <= c[0] <= window_end
            ]
            for ts, o, h, low, c, base_volume in page:
                rows.append([ts, o, h, low, c, base_volume * c])  # NaN volume stays NaN
            if on_page is not None:
                on_page(len(page))
            cursor = max(c[0] for c in page) + step_ms if page else window_end + 1
        return candles_frame(rows, asset=asset, source=f"{self.name} {market}")
