"""The trade stage: from an exchange account (or a cash amount) to orders.

* :mod:`~cryptofolio.trade.holdings` -- holdings from ccxt (spot balances, USDT-margined linear
  positions) or a CSV/JSON file, valued in the quote currency (weights, cash, equity, dust);
* :mod:`~cryptofolio.trade.target` -- target weights from any optimiser configuration;
* :mod:`~cryptofolio.trade.orders` -- the order plan (exchange steps and minimums, sells before
  buys, estimated costs, resulting weights);
* :mod:`~cryptofolio.trade.execution` -- sending a plan (client order ids, partial failures);
* :mod:`~cryptofolio.trade.rebalance` -- the whole rebalance: holdings, target and order plan
  from one :class:`RebalanceRequest`;
* :mod:`~cryptofolio.trade.allocation` -- discrete allocation, greedy and exact MILP;
  :mod:`~cryptofolio.trade.investment` -- a cash amount invested in an optimised portfolio;
* :mod:`~cryptofolio.trade.keys` / :mod:`~cryptofolio.trade.exchange` -- credentials and ccxt
  clients (testnet, secrets never shown).

See ``docs/trading.md``.
"""

from cryptofolio.trade.allocation import (
    AllocationMethod,
    DiscreteAllocation,
    allocate,
    auto_lot_step,
    greedy_allocation,
    lp_allocation,
)
from cryptofolio.trade.exchange import ExchangeSession, MarketType, connect
from cryptofolio.trade.execution import (
    ExecutionReport,
    OrderOutcome,
    OrderStatus,
    client_order_id,
    default_run_id,
    execute_plan,
)
from cryptofolio.trade.holdings import (
    Holdings,
    fetch_holdings,
    latest_prices,
    read_holdings_file,
    ticker_prices,
    value_holdings,
)
from cryptofolio.trade.investment import Investment, invest
from cryptofolio.trade.keys import Credentials, load_credentials
from cryptofolio.trade.markets import MarketRules, load_rules, market_symbol
from cryptofolio.trade.orders import Order, OrderPlan, Side, SkippedTrade, plan_orders
from cryptofolio.trade.rebalance import Rebalance, RebalanceRequest, plan_rebalance
from cryptofolio.trade.target import PriceSource, Target, target_weights, universe

__all__ = [
    "AllocationMethod",
    "Credentials",
    "DiscreteAllocation",
    "ExchangeSession",
    "ExecutionReport",
    "Holdings",
    "Investment",
    "MarketRules",
    "MarketType",
    "Order",
    "OrderOutcome",
    "OrderPlan",
    "OrderStatus",
    "PriceSource",
    "Rebalance",
    "RebalanceRequest",
    "Side",
    "SkippedTrade",
    "Target",
    "allocate",
    "auto_lot_step",
    "client_order_id",
    "connect",
    "default_run_id",
    "execute_plan",
    "fetch_holdings",
    "greedy_allocation",
    "invest",
    "latest_prices",
    "load_credentials",
    "load_rules",
    "lp_allocation",
    "market_symbol",
    "plan_orders",
    "plan_rebalance",
    "read_holdings_file",
    "target_weights",
    "ticker_prices",
    "universe",
    "value_holdings",
]
