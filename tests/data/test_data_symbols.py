"""Asset and market symbol helpers."""

from __future__ import annotations

import pytest

from cryptofolio.data import (
    is_stablecoin,
    normalize_asset,
    parse_symbols,
    split_market,
    to_asset,
    to_market,
)
from cryptofolio.errors import DataError


def test_asset_and_market_conversions():
    assert normalize_asset(" btc ") == "BTC"
    assert to_market("eth") == "ETH/USDT"
    assert to_market("eth", "usd") == "ETH/USD"
    assert to_market("BTC/USDT:USDT") == "BTC/USDT:USDT"
    assert split_market("btc/usdt:usdt") == ("BTC", "USDT")
    assert to_asset("sol/usdt") == "SOL"
    assert is_stablecoin("usdc") and is_stablecoin("DAI/USDT") and not is_stablecoin("BTC")


def test_parse_symbols():
    assert parse_symbols("BTC, eth,SOL/USDT") == ["BTC", "ETH", "SOL"]
    assert parse_symbols(None) is None
    with pytest.raises(DataError, match="more than once: BTC"):
        parse_symbols("BTC,btc/usdt")
    with pytest.raises(DataError, match="no symbols given"):
        parse_symbols(" , ")
    with pytest.raises(DataError, match="not an asset symbol"):
        normalize_asset("BTC USDT")
    with pytest.raises(DataError, match="not a market"):
        split_market("BTC")
