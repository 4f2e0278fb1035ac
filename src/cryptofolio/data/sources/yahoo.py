"""Yahoo Finance through yfinance: ``BTC-USD`` style tickers.

Assets map to ``SYM-USD`` (or ``SYM-<quote>``); a market ``BTC/EUR`` maps to ``BTC-EUR`` and a
ticker ``BTC-USD`` is used as it is. Yahoo's crypto candles open at 00:00 UTC (daily) and its
volume is already in the quote currency. One request per symbol covers the whole range (yfinance
pages internally); Yahoo serves hourly candles only for the last 730 days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import requests

from cryptofolio.data.sources.base import FetchRange, PageCallback, candles_frame, timeframe_delta
from cryptofolio.data.sources.retry import RetryPolicy, TransientSourceError, call_with_retry
from cryptofolio.data.sources.validation import parse_rows
from cryptofolio.data.symbols import normalize_asset, split_market
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

#: ccxt-style timeframe -> yfinance interval.
INTERVALS = {
    "1m": "1m",
    "2m": "2m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1h": "1h",
    "1d": "1d",
    "5d": "5d",
    "1w": "1wk",
    "1M": "1mo",
}


def _yfinance() -> Any:
    try:
        import yfinance
    except ImportError as exc:  # pragma: no cover - yfinance is an optional extra
        raise SourceError(
            "the yahoo source needs yfinance: pip install 'cryptofolio[yahoo]'"
        ) from exc
    return yfinance


class YahooSource:
    """Candles from Yahoo Finance.

    Parameters
    ----------
    quote
        Quote currency of the tickers built from assets (``BTC`` -> ``BTC-USD``).
    retry, sleep
        Retry policy for rate limits and network errors, and the wait function.
    """

    name = "yahoo"

    def __init__(
        self,
        *,
        quote: str = "USD",
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.quote = quote.strip().upper()
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"YahooSource(quote={self.quote!r})"

    def market_for(self, symbol: str) -> str:
        """Yahoo ticker for ``symbol``: ``BTC`` -> ``BTC-USD``, ``BTC/EUR`` -> ``BTC-EUR``."""
        text = str(symbol).strip().upper()
        if "/" in text:
            base, quote = split_market(text)
            return f"{base}-{quote}"
        if "-" in text:
            return text
        return f"{normalize_asset(text)}-{self.quote}"

    def quote_for(self, symbol: str) -> str:
        """The quote currency of ``symbol`` (its market's, else :attr:`quote`); no request is made."""
        return self.market_for(symbol).split("-", 1)[1]

    def asset_for(self, symbol: str) -> str:
        """The asset a ticker prices (``BTC-USD`` -> ``BTC``)."""
        return self.market_for(symbol).split("-", 1)[0]

    def estimate_pages(self, timeframe: str, span: FetchRange) -> int:
        return 1

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        span: FetchRange,
        *,
        on_page: PageCallback | None = None,
    ) -> pd.DataFrame:
        """Candles of ``symbol`` opening within ``span`` as the long frame.

        Raises
        ------
        UnknownSymbolError
            When Yahoo does not know the ticker.
        """
        if timeframe not in INTERVALS:
            raise DataError(
                f"Yahoo has no timeframe {timeframe!r}; use one of {', '.join(INTERVALS)}"
            )
        yf = _yfinance()
        ticker = self.market_for(symbol)
        asset = self.asset_for(symbol)
        what = f"yahoo {ticker} {timeframe} {span.start} to {span.end}"
        transient, fatal = network_errors()

        def request() -> list[list[float]]:
            raw = _history(yf, ticker, timeframe, span, what)
            return [] if raw is None or raw.empty else _rows(raw, span, what)

        rows = call_with_retry(
            request,
            what=what,
            transient=(TransientSourceError, *transient),
            policy=self.retry,
            sleep=self.sleep,
            fatal=fatal,
        )
        if on_page is not None:
            on_page(len(rows))
        return candles_frame(rows, asset=asset, source=what)


def network_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """The network errors yfinance lets through: (retried, turned into ``SourceError`` at once).

    yfinance talks HTTP through curl_cffi (older versions through requests): dropped
    connections, DNS failures (offline), time-outs and truncated bodies are retried; any other
    HTTP client error (an invalid URL, too many redirects) is not.
    """
    transient: list[type[BaseException]] = [requests.ConnectionError, requests.Timeout]
    fatal: list[type[BaseException]] = [requests.RequestException]
    try:
        from curl_cffi.requests import exceptions as curl
    except ImportError:  # pragma: no cover - yfinance before 0.2.55 uses requests only
        pass
    else:
        transient += [curl.ConnectionError, curl.Timeout, curl.ChunkedEncodingError]
        transient += [curl.IncompleteRead]
        fatal += [curl.RequestException]
    return tuple(transient), tuple(fatal)


def _history(
    yf: Any, ticker: str, timeframe: str, span: FetchRange, what: str
) -> pd.DataFrame | None:
    """``yf.Ticker(ticker).history(...)`` with yfinance's own errors mapped to ours."""
    exceptions = yf.exceptions
    try:
        return yf.Ticker(ticker).history(
            start=span.start.to_pydatetime(),
            end=(span.end + timeframe_delta(timeframe)).to_pydatetime(),  # exclusive
            interval=INTERVALS[timeframe],
            auto_adjust=False,
            actions=False,
            raise_errors=True,
        )
    except exceptions.YFRateLimitError as exc:
        raise TransientSourceError(str(exc)) from exc
    except exceptions.YFTzMissingError as exc:
        raise UnknownSymbolError(
            f"{what}: Yahoo does not know the ticker {ticker} ({exc}); check the symbol "
            "(Yahoo crypto tickers look like BTC-USD)"
        ) from exc
    except exceptions.YFPricesMissingError as exc:
        if getattr(exc, "yahoo_reason", None):  # e.g. hourly data older than 730 days
            raise SourceError(f"{what}: Yahoo refused: {exc.yahoo_reason}") from exc
        return None  # no candle in the range: an empty result, not an error
    except exceptions.YFException as exc:
        raise SourceError(f"{what}: {exc}") from exc


def _rows(raw: pd.DataFrame, span: FetchRange, what: str) -> list[list[float]]:
    """Yahoo's history frame as checked ``[open_ms, o, h, l, c, volume]`` rows within ``span``."""
    missing = [c for c in ("Open", "High", "Low", "Close", "Volume") if c not in raw.columns]
    if missing:
        raise SourceError(f"{what}: Yahoo's answer lacks column(s) {missing}")
    try:
        index = pd.DatetimeIndex(raw.index)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{what}: Yahoo's answer has no date index ({exc})") from exc
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    inside = (index >= span.start) & (index <= span.end)
    values = raw.loc[inside, ["Open", "High", "Low", "Close", "Volume"]].to_numpy(dtype=object)
    stamps = index[inside].as_unit("ms").asi8.tolist()
    return parse_rows([[t, *v] for t, v in zip(stamps, values.tolist(), strict=True)])
