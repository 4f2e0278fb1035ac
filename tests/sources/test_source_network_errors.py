"""Every source maps its network errors to ``SourceError`` through the same retry policy:
429/5xx/time-out/DNS sequences replayed against ccxt, CryptoCompare and Yahoo (no network)."""

from __future__ import annotations

import pandas as pd
import pytest
import requests
import yfinance
from curl_cffi.requests import exceptions as curl
from sources_replay import CryptoCompareReplay, ReplaySession, http_response, replayed_exchange

from cryptofolio.data.sources import (
    CcxtSource,
    CryptoCompareSource,
    FetchRange,
    RetryPolicy,
    YahooSource,
)
from cryptofolio.errors import SourceError

JAN1 = pd.Timestamp("2021-01-01", tz="UTC")
FEB28 = pd.Timestamp("2021-02-28", tz="UTC")
SPAN = FetchRange(JAN1, FEB28)
POLICY = RetryPolicy(max_attempts=4, base_delay_s=1.0, factor=2.0, max_delay_s=3.0)


class Failing:
    """Serves ``failures`` (exceptions are raised, responses returned) before the real answers
    of ``server`` to the requests whose path contains ``path``."""

    def __init__(self, server, path, failures):
        self.server, self.path, self.failures = server, path, list(failures)

    def __call__(self, path, query, headers):
        if self.path in path and self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, BaseException):
                raise failure
            return failure
        return self.server(path, query, headers)


def dns_error() -> requests.ConnectionError:
    return requests.ConnectionError(
        "Failed to resolve 'api.binance.com' (Name or service not known)"
    )


SEQUENCES = {
    "429-503-timeout": lambda: [
        http_response(429, ""),
        http_response(503, "unavailable", "text/plain"),
        requests.Timeout("read timed out"),
    ],
    "dns-then-500": lambda: [dns_error(), http_response(500, "<html>oops</html>", "text/html")],
}


def ccxt_source(server, failures, sleeps):
    exchange = replayed_exchange("binance", server)
    exchange.session = ReplaySession(Failing(server, "/klines", failures))
    return CcxtSource(exchange, page_limit=100, retry=POLICY, sleep=sleeps.append)


def cc_source(failures, sleeps):
    session = ReplaySession(Failing(CryptoCompareReplay(), "/histoday", failures))
    return CryptoCompareSource(session=session, retry=POLICY, sleep=sleeps.append)


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
def test_ccxt_failure_sequences_are_retried_with_backoff(binance_server, sleeps, sequence):
    failures = SEQUENCES[sequence]()
    frame = ccxt_source(binance_server, failures, sleeps).fetch_ohlcv("BTC", "1d", SPAN)
    assert len(frame) == 59
    assert sleeps == [1.0, 2.0, 3.0][: len(SEQUENCES[sequence]())]


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
def test_cryptocompare_failure_sequences_are_retried_with_backoff(sleeps, sequence):
    failures = SEQUENCES[sequence]()
    frame = cc_source(failures, sleeps).fetch_ohlcv("BTC", "1d", SPAN)
    assert len(frame) == 59
    assert sleeps == [1.0, 2.0, 3.0][: len(SEQUENCES[sequence]())]


def test_ccxt_offline_gives_a_source_error_after_the_policy(binance_server, sleeps):
    src = ccxt_source(binance_server, [dns_error() for _ in range(4)], sleeps)
    with pytest.raises(SourceError, match=r"failed 4 times in a row.*the service may be down"):
        src.fetch_ohlcv("BTC", "1d", SPAN)
    assert sleeps == [1.0, 2.0, 3.0]


def test_cryptocompare_offline_and_unfixable_network_errors(sleeps):
    src = cc_source([dns_error() for _ in range(4)], sleeps)
    with pytest.raises(SourceError, match=r"failed 4 times in a row.*ConnectionError.*may be down"):
        src.fetch_ohlcv("BTC", "1d", SPAN)
    assert sleeps == [1.0, 2.0, 3.0]
    sleeps.clear()
    src = cc_source([requests.TooManyRedirects("Exceeded 30 redirects.")], sleeps)
    with pytest.raises(SourceError, match=r"cryptocompare BTC/USD 1d.*TooManyRedirects"):
        src.fetch_ohlcv("BTC", "1d", SPAN)
    assert sleeps == []  # a retry cannot fix it


@pytest.fixture
def yahoo_answers(monkeypatch):
    """``Ticker.history`` serves the given outcomes in order (exceptions are raised)."""
    index = pd.date_range(JAN1, FEB28, tz="UTC", name="Date")
    good = pd.DataFrame(
        {"Open": 1.0, "High": 2.0, "Low": 0.5, "Close": 1.5, "Volume": 3.0}, index=index
    )

    def install(*outcomes):
        queue = list(outcomes)

        def history(self, **kwargs):
            outcome = queue.pop(0) if queue else good
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        monkeypatch.setattr(yfinance.Ticker, "history", history)

    return install


def test_yahoo_dns_error_and_timeouts_are_retried(yahoo_answers, sleeps):
    yahoo_answers(
        curl.DNSError("Failed to perform, curl: (6) Could not resolve host: guce.yahoo.com"),
        curl.Timeout("Operation timed out after 30000 milliseconds"),
        yfinance.exceptions.YFRateLimitError(),
    )
    frame = YahooSource(retry=POLICY, sleep=sleeps.append).fetch_ohlcv("BTC", "1d", SPAN)
    assert len(frame) == 59 and sleeps == [1.0, 2.0, 3.0]


def test_yahoo_offline_gives_a_source_error_not_a_curl_traceback(yahoo_answers, sleeps):
    yahoo_answers(*[curl.DNSError("Could not resolve host: guce.yahoo.com") for _ in range(4)])
    with pytest.raises(
        SourceError, match=r"yahoo BTC-USD 1d .*failed 4 times.*DNSError.*may be down"
    ):
        YahooSource(retry=POLICY, sleep=sleeps.append).fetch_ohlcv("BTC", "1d", SPAN)
    assert sleeps == [1.0, 2.0, 3.0]


def test_yahoo_unfixable_network_error_is_a_source_error_at_once(yahoo_answers, sleeps):
    yahoo_answers(curl.InvalidURL("bad url"))
    with pytest.raises(SourceError, match=r"yahoo BTC-USD 1d .*InvalidURL: bad url"):
        YahooSource(retry=POLICY, sleep=sleeps.append).fetch_ohlcv("BTC", "1d", SPAN)
    assert sleeps == []
