"""``cryptofolio rebalance`` / ``allocate`` end to end (fake exchange, bundled data)."""

from __future__ import annotations

import json
import logging

import ccxt
import pytest
from tr_fake_exchange import TICKERS, FakeAccount, install
from typer.testing import CliRunner

from cryptofolio.cli import app

KEY = "LEAKCHECK-api-key-7c1f2e9a"
SECRET = "LEAKCHECK-secret-3b8d4a6f"
DATA = ["--dataset", "coingecko-daily", "--start", "2023-01-01"]


@pytest.fixture
def account(monkeypatch, tmp_path):
    acc = FakeAccount(
        tickers=dict(TICKERS),
        balances={"USDT": 2000.0, "BTC": 0.05, "ETH": 2.0, "ADA": 0.5},
    )
    install(monkeypatch, acc)
    monkeypatch.setenv("CRYPTOFOLIO_BINANCE_API_KEY", KEY)
    monkeypatch.setenv("CRYPTOFOLIO_BINANCE_SECRET", SECRET)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("CRYPTOFOLIO_KEYS_FILE", raising=False)
    return acc


def _run(args, input=None):
    return CliRunner().invoke(app, args, input=input)


def test_dry_run_is_the_default_and_sends_nothing(account):
    res = _run(["rebalance", "--exchange", "binance", "--assets", "SOL", *DATA])
    assert res.exit_code == 0, res.output
    assert "dry run: nothing was sent" in res.output
    assert "Orders (sells first)" in res.output
    assert account.sent == []
    assert account.configs[0]["apiKey"] == KEY  # the keys did reach the client


def test_execute_asks_for_confirmation(account):
    res = _run(["rebalance", "--exchange", "binance", *DATA, "--execute"], input="n\n")
    assert res.exit_code == 1
    assert account.sent == []
    res = _run(["rebalance", "--exchange", "binance", *DATA, "--execute"], input="y\n")
    assert res.exit_code == 0, res.output
    assert account.sent, "confirmed orders are sent"


def test_execute_yes_json_reports_each_order(account):
    res = _run(
        [
            "rebalance",
            "--exchange",
            "binance",
            "--assets",
            "SOL",
            *DATA,
            "--execute",
            "--yes",
            "--format",
            "json",
            "--run-id",
            "r1",
        ]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    outcomes = payload["execution"]["outcomes"]
    assert [o["status"] for o in outcomes] == ["placed"] * len(account.sent)
    sides = [o["side"] for o in payload["plan"]["orders"]]
    assert sides == sorted(sides, key=lambda s: s == "buy")
    assert payload["holdings"]["dust"][0]["asset"] == "ADA"
    # the same run id again: nothing new is sent
    n = len(account.sent)
    res = _run(
        [
            "rebalance",
            "--exchange",
            "binance",
            "--assets",
            "SOL",
            *DATA,
            "--execute",
            "--yes",
            "--format",
            "json",
            "--run-id",
            "r1",
        ]
    )
    assert len(account.sent) == n


def test_api_keys_never_appear_in_any_output(account, caplog):
    caplog.set_level(logging.DEBUG)
    # the exchange echoes the key back in its error, as some do
    account.fail[("ETH/USDT", "sell")] = ccxt.AuthenticationError(
        f'binance {{"code":-2015,"msg":"Invalid API-key {KEY}, IP, or permissions; '
        f'sig for {SECRET}"}}'
    )
    texts = []
    for fmt in ("table", "json"):
        res = _run(
            [
                "rebalance",
                "--exchange",
                "binance",
                *DATA,
                "--execute",
                "--yes",
                "--format",
                fmt,
                "--run-id",
                f"leak-{fmt}",
            ]
        )
        assert res.exit_code == 1  # a failed order
        texts += [res.output, res.stdout, res.stderr or "", repr(res.exception)]
    assert "AuthenticationError" in texts[0]  # the failure itself is reported
    assert "***" in texts[0] + texts[4]
    # and an error raised while reading the account
    account.fail.clear()

    account.fail[("fetch_balance", "")] = ccxt.ExchangeError(
        f"binance rejected key {KEY} with secret {SECRET}"
    )
    res = _run(["rebalance", "--exchange", "binance", *DATA])
    assert res.exit_code == 2
    texts += [res.output, res.stderr or "", repr(res.exception)]
    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    assert any("Request:" in r.getMessage() for r in caplog.records), "ccxt debug logs captured"
    for text in texts:
        assert KEY not in text
        assert SECRET not in text


def test_offline_holdings_file(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "cryptofolio.trade.exchange.exchange_class",
        lambda _id: pytest.fail("an offline run must not create an exchange client"),
    )
    holdings = tmp_path / "h.csv"
    holdings.write_text("symbol,amount\nBTC,0.1\nETH,2\nUSDT,1500\n")
    res = _run(["rebalance", "--holdings", str(holdings), *DATA, "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["dry_run"] is True
    h = payload["holdings"]
    assert {p["asset"] for p in h["positions"]} == {"BTC", "ETH", "USDT"}
    weights = payload["plan"]["weights"]
    assert sum(weights["target"].values()) == pytest.approx(1.0, abs=1e-6)
    assert sum(weights["resulting"].values()) == pytest.approx(1.0, abs=1e-6)
    assert any("not rounded" in n for n in payload["plan"]["notes"])


def test_rebalance_needs_an_account_source():
    res = _run(["rebalance", *DATA])
    assert res.exit_code == 2
    assert "--exchange" in res.output and "--holdings" in res.output


def test_allocate_json(tmp_path):
    res = _run(
        [
            "allocate",
            "--value",
            "10000",
            "--assets",
            "BTC,ETH,SOL,BNB",
            *DATA,
            "--method",
            "lp",
            "--format",
            "json",
        ]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    spent = sum(r["value"] for r in payload["rows"])
    assert spent + payload["leftover"] == pytest.approx(10_000.0)
    assert payload["leftover"] >= 0
    for r in payload["rows"]:
        assert abs(r["value"] - r["target_weight"] * 10_000) < 10.0  # within one lot (<10 USD)


def test_holdings_file_priced_on_the_exchange_without_keys(tmp_path, monkeypatch):
    for var in ("CRYPTOFOLIO_BINANCE_API_KEY", "CRYPTOFOLIO_BINANCE_SECRET"):
        monkeypatch.delenv(var, raising=False)
    acc = FakeAccount(tickers=dict(TICKERS))
    install(monkeypatch, acc)
    holdings = tmp_path / "h.json"
    holdings.write_text('{"BTC": 0.1, "ETH": 2, "USDT": 1500}')
    res = _run(
        [
            "rebalance",
            "--exchange",
            "binance",
            "--holdings",
            str(holdings),
            *DATA,
            "--format",
            "json",
        ]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert "apiKey" not in acc.configs[0]  # public calls only
    assert not any("not rounded" in n for n in payload["plan"]["notes"])
    btc = next(p for p in payload["holdings"]["positions"] if p["asset"] == "BTC")
    assert btc["price"] == TICKERS["BTC/USDT"]["last"]
    steps = {"BTC": 1e-5, "ETH": 1e-4}
    for o in payload["plan"]["orders"]:
        lots = o["amount"] / steps[o["asset"]]
        assert abs(lots - round(lots)) < 1e-6
    res = _run(["rebalance", "--exchange", "binance", "--holdings", str(holdings), "--execute"])
    assert res.exit_code == 2 and "drop --holdings" in res.output
