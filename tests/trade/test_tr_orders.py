"""Order planning against the fake exchange's real ccxt market metadata."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pandas as pd
import pytest
from tr_fake_exchange import TICKERS, FakeAccount, install

from cryptofolio.costs import CostModel, Slippage
from cryptofolio.errors import TradeError
from cryptofolio.trade.exchange import MarketType, connect
from cryptofolio.trade.holdings import fetch_holdings, ticker_prices, value_holdings
from cryptofolio.trade.keys import Credentials
from cryptofolio.trade.markets import load_rules
from cryptofolio.trade.orders import Side, plan_orders

CREDS = Credentials("binance", "test-key-AAAA", "test-secret-BBBB")


def _session(monkeypatch, exchange_id="binance", market=MarketType.SPOT, **account_kw):
    account = FakeAccount(tickers=dict(TICKERS), **account_kw)
    install(monkeypatch, account)
    creds = Credentials(exchange_id, CREDS.api_key, CREDS.secret)
    return connect(exchange_id, market, credentials=creds), account


def _trunc(x: float, step: str) -> float:
    d = Decimal(str(x)) / Decimal(step)
    return float(d.to_integral_value(rounding=ROUND_DOWN) * Decimal(step))


@pytest.mark.parametrize(
    ("exchange_id", "steps"),
    [
        ("binance", {"BTC": "0.00001", "ETH": "0.0001", "SOL": "0.001"}),
        ("bybit", {"BTC": "0.000001", "ETH": "0.00001", "SOL": "0.001"}),
    ],
)
def test_amounts_are_truncated_to_the_exchange_step(monkeypatch, exchange_id, steps):
    session, _ = _session(monkeypatch, exchange_id, balances={"USDT": 10_000.0})
    holdings, _tickers = fetch_holdings(session, "USDT")
    rules, missing = load_rules(session, ["BTC", "ETH", "SOL"], "USDT")
    assert missing == []
    target = pd.Series({"BTC": 0.5, "ETH": 0.3, "SOL": 0.2})
    plan = plan_orders(
        holdings,
        target,
        rules=rules,
        prices=ticker_prices(session, ["BTC", "ETH", "SOL"], "USDT")["price"],
        cost_model=CostModel(fee_bps=0.0),
        min_trade=0.0,
    )
    assert [o.side for o in plan.orders] == [Side.BUY] * 3
    for o in plan.orders:
        price = TICKERS[o.market]["last"]
        wanted = target[o.asset] * 10_000.0 / price
        assert o.amount == pytest.approx(_trunc(wanted, steps[o.asset]), abs=1e-12)
        assert o.amount <= wanted
        assert wanted - o.amount < float(steps[o.asset]) + 1e-12


def test_minimum_notional_and_min_trade_are_skipped_and_reported(monkeypatch):
    # Binance BTCUSDT perpetual: MIN_NOTIONAL 100 USDT (fixture), step 0.001 BTC.
    positions = [
        {"symbol": "BTC/USDT:USDT", "contracts": 0.010, "side": "long", "markPrice": 37800.0},
        {"symbol": "ETH/USDT:USDT", "contracts": 0.500, "side": "long", "markPrice": 2024.5},
    ]
    session, _ = _session(
        monkeypatch, "binance", MarketType.LINEAR, balances={"USDT": 2000.0}, positions=positions
    )
    holdings, _ = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["BTC", "ETH"], "USDT")
    # BTC +0.002 (75.6 USDT < 100 minimum notional); ETH +4 USDT (< --min-trade 10)
    target = pd.Series(
        {"BTC": (0.012 * 37800.0) / holdings.equity, "ETH": (0.5 * 2024.5 + 4) / holdings.equity}
    )
    plan = plan_orders(holdings, target, rules=rules, min_trade=10.0)
    assert plan.orders == ()
    reasons = {s.asset: s.reason for s in plan.skipped}
    assert "minimum 100" in reasons["BTC"]
    assert "--min-trade 10" in reasons["ETH"]


def test_minimum_amount_is_respected(monkeypatch):
    # Binance SOLUSDT perpetual: step 1 SOL, minQty 1 -> 0.6 SOL rounds to nothing
    session, _ = _session(
        monkeypatch,
        "binance",
        MarketType.LINEAR,
        balances={"USDT": 1000.0},
        positions=[],
    )
    holdings, _ = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["SOL"], "USDT")
    px = pd.Series({"SOL": 59.1})
    plan = plan_orders(
        holdings, pd.Series({"SOL": 0.6 * 59.1 / 1000.0}), rules=rules, prices=px, min_trade=0
    )
    assert plan.orders == ()
    assert "below one amount step" in plan.skipped[0].reason
    # Bybit SOLUSDT spot: minOrderQty 0.023 with step 0.001 -> 0.02 SOL is below the minimum
    session, _ = _session(monkeypatch, "bybit", balances={"USDT": 1000.0})
    holdings, _ = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["SOL"], "USDT")
    plan = plan_orders(
        holdings,
        pd.Series({"SOL": 0.0205 * 59.13 / 1000.0}),
        rules=rules,
        prices=pd.Series({"SOL": 59.13}),
        min_trade=0,
    )
    assert plan.orders == ()
    assert "below the exchange minimum 0.023" in plan.skipped[0].reason


def test_sells_come_before_buys_and_resulting_weights(monkeypatch):
    balances = {"USDT": 100.0, "BTC": 0.1, "ETH": 3.0, "SOL": 10.0}
    session, _ = _session(monkeypatch, "binance", balances=balances)
    holdings, _tickers = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["BTC", "ETH", "SOL", "ADA"], "USDT")
    px = ticker_prices(session, ["BTC", "ETH", "SOL", "ADA"], "USDT")["price"]
    target = pd.Series({"BTC": 0.7, "ETH": 0.0, "SOL": 0.1, "ADA": 0.15})
    model = CostModel(fee_bps=10.0)
    plan = plan_orders(holdings, target, rules=rules, prices=px, cost_model=model, min_trade=10)
    sides = [o.side for o in plan.orders]
    assert sides == sorted(sides, key=lambda s: s is Side.BUY)  # all sells, then all buys
    assert {o.asset for o in plan.orders if o.side is Side.SELL} == {"ETH"}
    eth = next(o for o in plan.orders if o.asset == "ETH")
    assert eth.amount == pytest.approx(3.0)  # an exit sells the whole holding
    # resulting weights recomputed by hand from the orders
    amounts = pd.Series(balances, dtype=float)
    cash = amounts.pop("USDT")
    for o in plan.orders:
        amounts[o.asset] = amounts.get(o.asset, 0.0) + (
            o.amount if o.side is Side.BUY else -o.amount
        )
        cash += (-o.notional if o.side is Side.BUY else o.notional) - o.notional * 10 / 1e4
    values = amounts * px.reindex(amounts.index)
    equity = values.sum() + cash
    assert cash >= 0  # buys are funded
    for asset in ("BTC", "SOL", "ADA"):
        assert plan.resulting_weights[asset] == pytest.approx(values[asset] / equity, rel=1e-9)
        assert abs(plan.resulting_weights[asset] - target[asset]) < 0.01
    assert plan.resulting_weights["USDT"] == pytest.approx(cash / equity, rel=1e-9)
    assert plan.total_fees == pytest.approx(sum(o.notional for o in plan.orders) * 1e-3)


def test_costs_use_the_shared_cost_model(monkeypatch):
    session, _ = _session(monkeypatch, "binance", balances={"USDT": 50_000.0})
    holdings, _tickers = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["BTC"], "USDT")
    t = ticker_prices(session, ["BTC"], "USDT")
    model = CostModel(fee_bps=7.5, slippage=Slippage.SQRT, impact_coefficient=0.1)
    plan = plan_orders(
        holdings,
        pd.Series({"BTC": 0.9}),
        rules=rules,
        prices=t["price"],
        volumes=t["quote_volume"],
        cost_model=model,
    )
    (o,) = plan.orders
    assert o.fee == pytest.approx(o.notional * 7.5e-4)
    # square-root law: 0.1 * sqrt(notional / daily volume) of the notional
    assert o.slippage == pytest.approx(o.notional * 0.1 * (o.notional / 1.2e9) ** 0.5)


def test_spot_buys_are_scaled_to_the_cash_available():
    holdings = value_holdings(pd.Series({"USDT": 1000.0}), pd.Series(dtype=float), "USDT")
    plan = plan_orders(
        holdings,
        pd.Series({"AAA": 1.0}),
        prices=pd.Series({"AAA": 10.0}),
        cost_model=CostModel(fee_bps=100.0),
        min_trade=0,
    )
    (o,) = plan.orders
    assert o.notional + o.fee <= 1000.0 + 1e-9
    assert o.notional + o.fee == pytest.approx(1000.0, rel=1e-6)
    assert any("scaled" in n for n in plan.notes)
    assert any("not rounded" in n for n in plan.notes)


def test_linear_positions_valued_with_mark_price_and_upnl(monkeypatch):
    positions = [
        {
            "symbol": "BTC/USDT:USDT",
            "contracts": 0.05,
            "side": "long",
            "markPrice": 37800.0,
            "unrealizedPnl": 25.0,
        },
        {
            "symbol": "ETH/USDT:USDT",
            "contracts": 1.0,
            "side": "short",
            "markPrice": 2024.5,
            "unrealizedPnl": -5.0,
        },
    ]
    session, _ = _session(
        monkeypatch, "bybit", MarketType.LINEAR, balances={"USDT": 3000.0}, positions=positions
    )
    holdings, _ = fetch_holdings(session, "USDT")
    assert holdings.equity == pytest.approx(3000.0 + 25.0 - 5.0)
    assert holdings.positions.at["BTC", "value"] == pytest.approx(0.05 * 37800.0)
    assert holdings.positions.at["ETH", "amount"] == pytest.approx(-1.0)
    assert holdings.weights["ETH"] == pytest.approx(-2024.5 / 3020.0)
    rules, _ = load_rules(session, ["BTC", "ETH"], "USDT")
    # close the short, halve BTC: a buy of 1 ETH contract (0.01 step), a sell of 0.025 BTC
    plan = plan_orders(
        holdings, pd.Series({"BTC": 0.025 * 37800.0 / 3020.0, "ETH": 0.0}), rules=rules
    )
    by_asset = {o.asset: o for o in plan.orders}
    assert by_asset["BTC"].side is Side.SELL and by_asset["BTC"].amount == pytest.approx(0.025)
    assert by_asset["ETH"].side is Side.BUY and by_asset["ETH"].amount == pytest.approx(1.0)
    assert by_asset["BTC"].market == "BTC/USDT:USDT"


def test_spot_rejects_short_targets():
    holdings = value_holdings(pd.Series({"USDT": 1000.0}), pd.Series(dtype=float), "USDT")
    with pytest.raises(TradeError, match="negative target weights for AAA"):
        plan_orders(
            holdings, pd.Series({"AAA": -0.2, "BBB": 1.2}), prices=pd.Series({"AAA": 1, "BBB": 1})
        )
