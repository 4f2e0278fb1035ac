"""Holdings from the fake exchange and from files; credentials from env and keys file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from tr_fake_exchange import TICKERS, FakeAccount, install

from cryptofolio.errors import DataError, TradeError
from cryptofolio.trade.exchange import MarketType, connect
from cryptofolio.trade.holdings import (
    fetch_holdings,
    latest_prices,
    read_holdings_file,
    value_holdings,
)
from cryptofolio.trade.keys import Credentials, load_credentials


def test_spot_holdings_valued_at_tickers_with_cash_and_dust(monkeypatch):
    account = FakeAccount(
        tickers=dict(TICKERS),
        balances={"USDT": 500.0, "USDC": 250.0, "BTC": 0.02, "ETH": 1.5, "ADA": 1.0, "XYZ": 3.0},
    )
    install(monkeypatch, account)
    session = connect("binance", credentials=Credentials("binance", "k" * 20, "s" * 20))
    h, _ = fetch_holdings(session, "USDT", dust_threshold=1.0)
    expected = {
        "USDT": 500.0,
        "USDC": 250.0 * 1.0001,
        "BTC": 0.02 * 37810.3,
        "ETH": 1.5 * 2025.94,
    }
    assert set(h.positions.index) == set(expected)
    for asset, value in expected.items():
        assert h.positions.at[asset, "value"] == pytest.approx(value)
    equity = sum(expected.values())
    assert h.equity == pytest.approx(equity)
    assert h.weights.sum() == pytest.approx(1.0)
    assert h.cash == pytest.approx(500.0 + 250.0 * 1.0001)
    assert h.positions.at["USDC", "cash_like"] and not h.positions.at["BTC", "cash_like"]
    # 1 ADA = 0.377 USDT is dust; XYZ has no USDT market -> unpriced, neither counted
    assert list(h.dust.index) == ["ADA"]
    assert h.unpriced == ("XYZ",)
    assert h.risky_assets() == [a for a in h.positions.index if a != "USDT"]


def test_account_reading_needs_keys(monkeypatch):
    install(monkeypatch, FakeAccount(tickers=dict(TICKERS)))
    session = connect("binance")
    with pytest.raises(TradeError, match="CRYPTOFOLIO_BINANCE_API_KEY"):
        fetch_holdings(session)


def test_testnet_sets_sandbox_mode(monkeypatch):
    account = FakeAccount(tickers=dict(TICKERS))
    install(monkeypatch, account)
    session = connect("bybit", MarketType.LINEAR, testnet=True)
    assert account.sandbox is True
    assert "testnet" in session.client.urls["api"]["public"]


def test_read_holdings_csv_and_json(tmp_path):
    csv = tmp_path / "h.csv"
    csv.write_text("symbol,amount\nBTC/USDT,0.5\neth,2\nUSDT,100\n")
    assert read_holdings_file(csv).to_dict() == {"BTC": 0.5, "ETH": 2.0, "USDT": 100.0}
    js = tmp_path / "h.json"
    js.write_text(json.dumps([{"symbol": "SOL", "amount": 3}, {"symbol": "ADA", "amount": 10}]))
    assert read_holdings_file(js).to_dict() == {"SOL": 3.0, "ADA": 10.0}
    js.write_text(json.dumps({"BTC": 1}))
    assert read_holdings_file(js).to_dict() == {"BTC": 1.0}


def test_read_holdings_errors_name_the_problem(read_error):
    bad = "symbol,amount\nBTC,0.5\nETH,lots\n"
    read_error(read_holdings_file, "bad.csv", bad, DataError, r"line 3.*'lots' of ETH")
    dup = "symbol,amount\nBTC,0.5\nbtc,1\n"
    read_error(read_holdings_file, "dup.csv", dup, DataError, "BTC is listed more than once")
    cols = "coin,qty\nBTC,1\n"
    read_error(read_holdings_file, "cols.csv", cols, DataError, "'symbol' and 'amount'")
    read_error(read_holdings_file, "nope.csv", None, DataError, "does not exist")


def test_offline_valuation_from_a_price_panel():
    idx = pd.date_range("2024-01-01", periods=3, tz="UTC")
    close = pd.DataFrame(
        {"BTC": [40000.0, 41000.0, 42000.0], "ETH": [2000.0, 2100.0, float("nan")]}, index=idx
    )
    last = latest_prices(close)
    assert last.at["ETH", "price"] == 2100.0  # last available close, dated
    assert last.at["ETH", "timestamp"] == idx[1]
    h = value_holdings(pd.Series({"BTC": 0.1, "ETH": 1.0, "USDT": 800.0}), last["price"], "USDT")
    assert h.equity == pytest.approx(4200.0 + 2100.0 + 800.0)
    assert h.weights["USDT"] == pytest.approx(800.0 / 7100.0)
    with pytest.raises(TradeError, match="negative spot amounts for ETH"):
        value_holdings(pd.Series({"ETH": -1.0}), last["price"])


def test_credentials_from_env_and_keys_file(monkeypatch, tmp_path):
    for var in ("CRYPTOFOLIO_BYBIT_API_KEY", "CRYPTOFOLIO_BYBIT_SECRET", "CRYPTOFOLIO_KEYS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    assert load_credentials("bybit") is None
    keys = tmp_path / "keys.toml"
    keys.write_text('[bybit]\napi_key = "file-key-123456"\nsecret = "file-secret-654321"\n')
    creds = load_credentials("bybit", keys)
    assert (creds.api_key, creds.secret, creds.source) == (
        "file-key-123456",
        "file-secret-654321",
        str(keys),
    )
    assert "file-key" not in repr(creds) and "file-secret" not in repr(creds)
    monkeypatch.setenv("CRYPTOFOLIO_KEYS_FILE", str(keys))
    assert load_credentials("bybit").api_key == "file-key-123456"
    monkeypatch.setenv("CRYPTOFOLIO_BYBIT_API_KEY", "env-key-abcdef")
    with pytest.raises(TradeError, match="CRYPTOFOLIO_BYBIT_SECRET is not set"):
        load_credentials("bybit")
    monkeypatch.setenv("CRYPTOFOLIO_BYBIT_SECRET", "env-secret-fedcba")
    creds = load_credentials("bybit")
    assert creds.api_key == "env-key-abcdef" and creds.source == "environment"
    keys.write_text('[bybit]\napi_key = "file-key-123456"\nsecret = oops-secret\n')
    monkeypatch.delenv("CRYPTOFOLIO_BYBIT_API_KEY")
    monkeypatch.delenv("CRYPTOFOLIO_BYBIT_SECRET")
    with pytest.raises(TradeError) as info:
        load_credentials("bybit")
    assert "oops-secret" not in str(info.value) and "file-key" not in str(info.value)
