"""``plan_rebalance``: the library behind ``cryptofolio rebalance``, checked by replaying its
orders on the account by hand (fake exchange with the real ccxt market metadata, bundled data)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from tr_fake_exchange import TICKERS, FakeAccount, install

from cryptofolio.errors import TradeError
from cryptofolio.optimize import Constraints, PortfolioConfig
from cryptofolio.trade import PriceSource, RebalanceRequest, plan_rebalance
from cryptofolio.trade.exchange import MarketType, connect
from cryptofolio.trade.keys import Credentials

#: Binance spot amount steps of the recorded exchangeInfo (LOT_SIZE stepSize)
STEPS = {"BTC": "0.00001", "ETH": "0.0001", "SOL": "0.001"}
BALANCES = {"USDT": 3000.0, "BTC": 0.05, "ETH": 2.0}
DATA = PriceSource(dataset="coingecko-daily", start="2023-01-01")
CONFIG = PortfolioConfig(constraints=Constraints(max_weight=0.6))


@pytest.fixture
def session(monkeypatch):
    install(monkeypatch, FakeAccount(tickers=dict(TICKERS), balances=dict(BALANCES)))
    creds = Credentials("binance", "test-key-AAAA", "test-secret-BBBB")
    return connect("binance", MarketType.SPOT, credentials=creds)


def test_orders_move_the_account_to_the_target_within_one_step(session):
    request = RebalanceRequest(config=CONFIG, prices=DATA, added=("SOL",), min_trade=0.0)
    done = plan_rebalance(request, session)
    target = done.target.weights
    assert set(target.index) == {"BTC", "ETH", "SOL"}
    assert target.sum() == pytest.approx(1.0) and target.max() <= 0.6 + 1e-9

    # replay the orders on the balances at the tickers' last prices, paying the fees in cash
    price = {sym.split("/")[0]: t["last"] for sym, t in TICKERS.items() if sym.endswith("/USDT")}
    amounts = {a: BALANCES.get(a, 0.0) for a in target.index}
    cash = BALANCES["USDT"]
    for order in done.plan.orders:
        units = Decimal(str(order.amount)) / Decimal(STEPS[order.asset])
        assert units == units.to_integral_value(), f"{order.asset} amount off the step"
        signed = order.amount if str(order.side) == "buy" else -order.amount
        amounts[order.asset] += signed
        cash -= signed * price[order.asset] + order.fee
    assert cash >= -1e-9  # the buys are paid by the sells and the cash
    fees = sum(order.fee for order in done.plan.orders)
    equity = cash + sum(amounts[a] * price[a] for a in target.index)
    assert equity == pytest.approx(
        BALANCES["USDT"] + sum(BALANCES.get(a, 0.0) * price[a] for a in price) - fees
    )
    for asset, weight in target.items():
        # one lot step, plus the fees by which the buys are scaled down to be paid for
        gap = abs(amounts[asset] * price[asset] - weight * equity)
        assert gap <= float(STEPS[asset]) * price[asset] + fees + 1e-6, asset
    # the plan's own resulting weights agree with the replay
    resulting = done.plan.weights_table()["resulting"]
    for asset in target.index:
        assert resulting[asset] == pytest.approx(amounts[asset] * price[asset] / equity, abs=1e-9)


def test_holdings_file_offline_is_priced_at_the_last_closes(tmp_path):
    path = tmp_path / "holdings.csv"
    pd.DataFrame({"symbol": ["BTC", "ETH", "USDT"], "amount": [0.1, 1.0, 500.0]}).to_csv(
        path, index=False
    )
    request = RebalanceRequest(config=CONFIG, prices=DATA, holdings_file=path)
    done = plan_rebalance(request)
    close = DATA.close(["BTC", "ETH"])
    last = close.ffill().iloc[-1]
    expected = 0.1 * last["BTC"] + 1.0 * last["ETH"] + 500.0
    assert done.holdings.equity == pytest.approx(expected, rel=1e-12)
    assert np.isclose(done.plan.equity, expected)


def test_without_a_session_or_a_file_is_an_error():
    with pytest.raises(TradeError, match="holdings file"):
        plan_rebalance(RebalanceRequest(prices=DATA))
