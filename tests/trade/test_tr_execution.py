"""Sending orders: client ids, idempotent re-runs, partial failures."""

from __future__ import annotations

import re

import ccxt
import pandas as pd
import pytest
from tr_fake_exchange import TICKERS, FakeAccount, install

from cryptofolio.costs import CostModel
from cryptofolio.errors import TradeError
from cryptofolio.trade.exchange import connect
from cryptofolio.trade.execution import (
    OrderStatus,
    client_order_id,
    default_run_id,
    execute_plan,
)
from cryptofolio.trade.holdings import fetch_holdings, ticker_prices
from cryptofolio.trade.keys import Credentials
from cryptofolio.trade.markets import load_rules
from cryptofolio.trade.orders import Side, plan_orders

KEY, SECRET = "exec-key-9f8e7d6c5b4a", "exec-secret-0a1b2c3d4e5f"


def _setup(monkeypatch, account=None):
    account = account or FakeAccount(
        tickers=dict(TICKERS),
        balances={"USDT": 1000.0, "ETH": 2.0, "BTC": 0.05},
    )
    install(monkeypatch, account)
    session = connect("binance", credentials=Credentials("binance", KEY, SECRET))
    holdings, _ = fetch_holdings(session, "USDT")
    assets = ["BTC", "ETH", "SOL", "ADA"]
    rules, _ = load_rules(session, assets, "USDT")
    px = ticker_prices(session, assets, "USDT")["price"]
    target = pd.Series({"BTC": 0.2, "ETH": 0.2, "SOL": 0.3, "ADA": 0.25})
    plan = plan_orders(holdings, target, rules=rules, prices=px, cost_model=CostModel(fee_bps=10.0))
    return session, account, plan


def test_client_order_ids_are_deterministic_and_valid():
    a = client_order_id("run1", "BTC/USDT", "buy")
    assert a == client_order_id("run1", "BTC/USDT", "buy")
    assert a != client_order_id("run2", "BTC/USDT", "buy")
    assert a != client_order_id("run1", "BTC/USDT", "sell")
    assert a != client_order_id("run1", "ETH/USDT", "buy")
    # Binance newClientOrderId: ^[.A-Z:/a-z0-9_-]{1,36}$ ; Bybit orderLinkId: max 36 chars
    assert re.fullmatch(r"[.A-Z:/a-z0-9_-]{1,36}", a)


def test_orders_are_sent_in_plan_order_with_client_ids(monkeypatch):
    session, account, plan = _setup(monkeypatch)
    sides = [o.side for o in plan.orders]
    assert Side.SELL in sides and Side.BUY in sides
    report = execute_plan(session, plan, "run-A")
    assert report.ok and report.count(OrderStatus.PLACED) == len(plan.orders)
    assert [(s["symbol"], s["side"]) for s in account.sent] == [
        (o.market, str(o.side)) for o in plan.orders
    ]
    for sent, o in zip(account.sent, plan.orders, strict=True):
        assert sent["type"] == "market"
        assert sent["params"]["clientOrderId"] == client_order_id("run-A", o.market, str(o.side))
        assert float(sent["amount_text"]) == sent["amount"]  # already on the step


def test_a_rerun_with_the_same_run_id_places_nothing_twice(monkeypatch):
    session, account, plan = _setup(monkeypatch)
    first = execute_plan(session, plan, "run-B")
    n = len(account.sent)
    again = execute_plan(session, plan, "run-B")
    assert len(account.sent) == n  # nothing new sent
    assert again.count(OrderStatus.ALREADY_PLACED) == len(first.outcomes)
    execute_plan(session, plan, "run-C")
    assert len(account.sent) == 2 * n  # a different run id is a different run


def test_failed_order_midway_is_reported_and_the_rest_continue(monkeypatch):
    session, account, plan = _setup(monkeypatch)
    second = plan.orders[1]
    account.fail[(second.market, str(second.side))] = ccxt.InvalidOrder(
        "binance {'code': -1013, 'msg': 'Filter failure: PERCENT_PRICE_BY_SIDE'}"
    )
    report = execute_plan(session, plan, "run-D")
    statuses = [o.status for o in report.outcomes]
    assert statuses[1] is OrderStatus.FAILED
    assert "PERCENT_PRICE_BY_SIDE" in report.outcomes[1].message
    assert all(s is OrderStatus.PLACED for i, s in enumerate(statuses) if i != 1)
    assert report.stopped is None and not report.ok


def test_funding_error_stops_the_run(monkeypatch):
    session, account, plan = _setup(monkeypatch)
    first_buy = next(i for i, o in enumerate(plan.orders) if o.side is Side.BUY)
    o = plan.orders[first_buy]
    account.fail[(o.market, "buy")] = ccxt.InsufficientFunds(
        "binance {'code': -2010, 'msg': 'Account has insufficient balance for requested action.'}"
    )
    report = execute_plan(session, plan, "run-E")
    statuses = [x.status for x in report.outcomes]
    assert statuses[first_buy] is OrderStatus.FAILED
    assert all(s is OrderStatus.PLACED for s in statuses[:first_buy])
    assert all(s is OrderStatus.NOT_ATTEMPTED for s in statuses[first_buy + 1 :])
    assert len(account.sent) == first_buy + 1
    assert "InsufficientFunds" in report.stopped


def test_default_run_id_is_stable_for_the_same_plan(monkeypatch):
    import datetime as dt

    _, _, plan = _setup(monkeypatch)
    day = dt.date(2024, 5, 1)
    assert default_run_id(plan, "binance", day) == default_run_id(plan, "binance", day)
    assert default_run_id(plan, "binance", day) != default_run_id(plan, "bybit", day)
    assert default_run_id(plan, "binance", day) != default_run_id(
        plan, "binance", dt.date(2024, 5, 2)
    )


def test_execution_needs_keys(monkeypatch):
    _, _account, plan = _setup(monkeypatch)
    with pytest.raises(TradeError, match="needs API keys"):
        execute_plan(connect("binance"), plan, "x")


@pytest.mark.parametrize(
    ("exchange_id", "qty_field", "cid_field"),
    [("binance", "quantity", "newClientOrderId"), ("bybit", "qty", "orderLinkId")],
)
def test_wire_requests_carry_base_amount_and_client_id(
    monkeypatch, exchange_id, qty_field, cid_field
):
    account = FakeAccount(tickers=dict(TICKERS), balances={"USDT": 3000.0, "ETH": 1.0})
    install(monkeypatch, account)
    session = connect(exchange_id, credentials=Credentials(exchange_id, KEY, SECRET))
    holdings, _ = fetch_holdings(session, "USDT")
    rules, _ = load_rules(session, ["BTC", "ETH"], "USDT")
    px = ticker_prices(session, ["BTC"], "USDT")["price"]
    plan = plan_orders(holdings, pd.Series({"BTC": 0.6, "ETH": 0.0}), rules=rules, prices=px)
    report = execute_plan(session, plan, "wire")
    assert report.ok
    for sent, o in zip(account.sent, plan.orders, strict=True):
        request = sent["request"]  # what ccxt would put on the wire
        assert sent["price"] is None  # a price would turn a market buy into a quote amount
        assert float(request[qty_field]) == pytest.approx(o.amount)
        assert request[cid_field] == client_order_id("wire", o.market, str(o.side))
        if exchange_id == "bybit":
            assert request["marketUnit"] == "baseCoin"  # qty in BTC, not in USDT
