"""Yahoo source with yfinance's ``Ticker.history`` replaced by a recorded-shaped frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yfinance
from sources_replay import FIXTURES

from cryptofolio.data.sources import FetchRange, YahooSource
from cryptofolio.errors import DataError, SourceError, UnknownSymbolError

JAN1 = pd.Timestamp("2021-01-01", tz="UTC")
FEB28 = pd.Timestamp("2021-02-28", tz="UTC")


def recorded_history() -> pd.DataFrame:
    """What ``yf.Ticker("BTC-USD").history(auto_adjust=False, actions=False)`` returns."""
    frame = pd.read_csv(FIXTURES / "yahoo_BTC-USD_1d.csv")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("Date"), utc=True), name="Date")
    return frame


class FakeHistory:
    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, ticker_self, **kwargs):
        self.calls.append((ticker_self.ticker, kwargs))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
        return outcome[(outcome.index >= start) & (outcome.index < end)]


@pytest.fixture
def history(monkeypatch):
    def install(*outcomes):
        fake = FakeHistory(outcomes)
        monkeypatch.setattr(yfinance.Ticker, "history", lambda self, **kw: fake(self, **kw))
        return fake

    return install


def test_daily_candles_from_ticker(history):
    fake = history(recorded_history())
    span = FetchRange(pd.Timestamp("2021-01-10", tz="UTC"), pd.Timestamp("2021-01-20", tz="UTC"))
    frame = YahooSource().fetch_ohlcv("BTC", "1d", span)
    raw = pd.read_csv(FIXTURES / "yahoo_BTC-USD_1d.csv").iloc[9:20]
    assert list(frame["symbol"].unique()) == ["BTC"]
    assert frame["timestamp"].tolist() == list(pd.date_range("2021-01-10", "2021-01-20", tz="UTC"))
    for ours, theirs in [
        ("open", "Open"),
        ("high", "High"),
        ("low", "Low"),
        ("close", "Close"),
        ("volume", "Volume"),
    ]:
        np.testing.assert_allclose(frame[ours], raw[theirs].astype(float))
    assert frame["market_cap"].isna().all()
    ticker, kwargs = fake.calls[0]
    assert ticker == "BTC-USD" and kwargs["interval"] == "1d" and kwargs["auto_adjust"] is False
    assert pd.Timestamp(kwargs["end"]) == pd.Timestamp("2021-01-21", tz="UTC")  # end is exclusive


def test_ticker_mapping():
    src = YahooSource()
    assert src.market_for("eth") == "ETH-USD"
    assert src.market_for("BTC/EUR") == "BTC-EUR"
    assert src.market_for("SOL-USD") == "SOL-USD"
    assert src.asset_for("SOL-USD") == "SOL"
    assert YahooSource(quote="eur").market_for("BTC") == "BTC-EUR"


def test_unknown_ticker(history):
    history(yfinance.exceptions.YFTzMissingError("XYZ-USD"))
    with pytest.raises(UnknownSymbolError, match="Yahoo does not know the ticker XYZ-USD"):
        YahooSource().fetch_ohlcv("XYZ", "1d", FetchRange(JAN1, FEB28))


def test_rate_limit_is_retried(history):
    fake = history(yfinance.exceptions.YFRateLimitError(), recorded_history())
    sleeps = []
    frame = YahooSource(sleep=sleeps.append).fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28))
    assert len(frame) == 59 and len(fake.calls) == 2 and sleeps == [1.0]


def test_no_candles_in_range_is_empty_but_refusals_are_errors(history):
    history(yfinance.exceptions.YFPricesMissingError("BTC-USD", ""))
    assert YahooSource().fetch_ohlcv("BTC", "1d", FetchRange(JAN1, FEB28)).empty
    reason = "1h data not available for startTime=1609459200. The requested range must be within the last 730 days."
    history(yfinance.exceptions.YFPricesMissingError("BTC-USD", "", yahoo_reason=reason))
    with pytest.raises(SourceError, match="within the last 730 days"):
        YahooSource().fetch_ohlcv("BTC", "1h", FetchRange(JAN1, FEB28))
    with pytest.raises(DataError, match="Yahoo has no timeframe '4h'"):
        YahooSource().fetch_ohlcv("BTC", "4h", FetchRange(JAN1, FEB28))
