"""Common spellings of an asset in a user's price data (issue 21): ``BTC-USD`` (yfinance),
``BTCUSDT`` and ``BTC/USDT`` (exchanges), ``bitcoin`` (CoinGecko ids), any case, read as
``BTC`` with a note; two spellings of one asset refused; names that are no spelling kept."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cryptofolio.data import read_prices_file
from cryptofolio.data.spellings import SymbolNote, asset_of, asset_spellings
from cryptofolio.errors import DataError


@pytest.mark.parametrize(
    ("name", "asset"),
    [
        ("BTC-USD", "BTC"),
        ("btc-usd", "BTC"),
        ("ETH-USDT", "ETH"),
        ("BTCUSDT", "BTC"),
        ("ethusdc", "ETH"),
        ("SOLBUSD", "SOL"),
        ("BTC/USDT", "BTC"),
        ("BTC/USDT:USDT", "BTC"),
        ("bitcoin", "BTC"),
        ("Ethereum", "ETH"),
        ("avalanche-2", "AVAX"),
        ("matic-network", "MATIC"),
        (" btc ", "BTC"),
        # not spellings of another asset: kept
        ("USDT", "USDT"),
        ("FDUSD", "FDUSD"),
        ("TUSD", "TUSD"),
        ("BTC-EUR", "BTC-EUR"),  # euro prices are not dollar prices
        ("SHIB", "SHIB"),
        ("XUSD", "XUSD"),  # one character before the quote: not BASE+QUOTE
    ],
)
def test_each_spelling_is_read_as_its_asset(name, asset):
    assert asset_of(name) == asset


def test_the_note_lists_what_was_read_as_another_asset():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mapping = asset_spellings(["BTC-USD", "eth", "bitcoin-cash", "SOL"], source="p.csv")
    assert mapping == {"BTC-USD": "BTC", "eth": "ETH", "bitcoin-cash": "BCH", "SOL": "SOL"}
    notes = [str(w.message) for w in caught if w.category is SymbolNote]
    assert notes == ["p.csv: symbols read as assets: BTC-USD as BTC, bitcoin-cash as BCH"]


def test_no_note_when_nothing_was_renamed():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asset_spellings(["btc", "BTC", "ETH"]) == {"btc": "BTC", "BTC": "BTC", "ETH": "ETH"}


def test_two_spellings_of_one_asset_are_refused():
    with pytest.raises(DataError, match=r"BTC, BTC-USD, bitcoin are all BTC; keep one series"):
        asset_spellings(["BTC", "BTC-USD", "bitcoin", "ETH"], source="p.csv")


def test_a_yfinance_wide_file_reads_as_assets(tmp_path):
    index = pd.date_range("2021-01-01", periods=4, freq="D")
    frame = pd.DataFrame(
        {"BTC-USD": [1.0, 2.0, 3.0, 4.0], "ETH-USD": [5.0, 6.0, 7.0, 8.0]}, index=index
    )
    path = tmp_path / "yf.csv"
    frame.to_csv(path, index_label="Date")
    with pytest.warns(SymbolNote, match="BTC-USD as BTC, ETH-USD as ETH"):
        long = read_prices_file(path)
    assert sorted(long["symbol"].unique()) == ["BTC", "ETH"]
    btc = long[long["symbol"] == "BTC"]["close"].tolist()
    assert btc == [1.0, 2.0, 3.0, 4.0]  # the prices themselves untouched


def test_a_long_file_of_exchange_markets_reads_as_assets(tmp_path):
    frame = pd.DataFrame(
        {
            "timestamp": ["2021-01-01", "2021-01-02", "2021-01-01", "2021-01-02"],
            "symbol": ["BTC/USDT", "BTC/USDT", "ETHUSDT", "ETHUSDT"],
            "close": [1.0, 2.0, 3.0, 4.0],
        }
    )
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(SymbolNote, match="BTC/USDT as BTC, ETHUSDT as ETH"):
        long = read_prices_file(path)
    assert long["symbol"].tolist() == ["BTC", "BTC", "ETH", "ETH"]
