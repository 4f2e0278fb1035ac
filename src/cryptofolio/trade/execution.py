"""Sending an :class:`~cryptofolio.trade.orders.OrderPlan` to the exchange.

Behaviour (documented in ``docs/trading.md``):

* every order carries a client order id derived from the run id, the market and the side
  (:func:`client_order_id`), so re-running the same plan does not place it twice: before
  sending, the open and closed orders of each market are read (where the exchange supports it)
  and an order whose client id is already there is reported ``already-placed`` and not sent;
* orders go out one by one in the plan's order (sells first), as market orders;
* a failed order is reported with the exchange's message (credentials scrubbed) and the run
  **continues** with the next order, **except** on errors after which the next orders cannot
  succeed or whose outcome is unknown: insufficient funds (the buys would be unfunded),
  authentication/permission errors, and network errors/timeouts (the order may or may not have
  reached the exchange; re-run with the same run id to resume safely). After such a stop the
  remaining orders are reported ``not-attempted``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptofolio.errors import TradeError
from cryptofolio.trade.exchange import ExchangeCallError, ExchangeSession
from cryptofolio.trade.orders import Order, OrderPlan


class OrderStatus(StrEnum):
    PLACED = "placed"
    ALREADY_PLACED = "already-placed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"


@dataclass(frozen=True)
class OrderOutcome:
    order: Order
    client_order_id: str
    status: OrderStatus
    exchange_order_id: str | None = None
    message: str = ""


@dataclass(frozen=True)
class ExecutionReport:
    run_id: str
    outcomes: tuple[OrderOutcome, ...]
    stopped: str | None = None  # why the run stopped early, if it did

    @property
    def ok(self) -> bool:
        return all(
            o.status in (OrderStatus.PLACED, OrderStatus.ALREADY_PLACED) for o in self.outcomes
        )

    def count(self, status: OrderStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


def client_order_id(run_id: str, market: str, side: str) -> str:
    """Deterministic client order id: ``cf`` + 30 hex digits of sha256(run id|market|side).

    32 characters from ``[0-9a-f]``, within Binance's (36, ``[.A-Z:/a-z0-9_-]``) and Bybit's
    (36) limits.
    """
    digest = hashlib.sha256(f"{run_id}|{market}|{side}".encode()).hexdigest()
    return "cf" + digest[:30]


def default_run_id(plan: OrderPlan, exchange_id: str, day: dt.date | None = None) -> str:
    """A run id that is the same for the same plan on the same UTC day.

    Hash of the exchange, market type, the orders (market, side, amount) and the date: running
    the same rebalance again the same day finds its orders already placed.
    """
    day = day or dt.datetime.now(dt.UTC).date()
    payload = json.dumps(
        {
            "exchange": exchange_id,
            "market": str(plan.market_type),
            "day": day.isoformat(),
            "orders": [[o.market, str(o.side), f"{o.amount:.12g}"] for o in plan.orders],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _existing_client_ids(session: ExchangeSession, markets: list[str]) -> tuple[set[str], bool]:
    """Client order ids of open and closed orders on ``markets``; and whether they could be read."""
    ids: set[str] = set()
    checked = False
    for method, cap in (
        ("fetch_open_orders", "fetchOpenOrders"),
        ("fetch_closed_orders", "fetchClosedOrders"),
    ):
        if not session.has(cap):
            continue
        checked = True
        for market in markets:
            for order in session.call(method, market) or []:
                cid = order.get("clientOrderId")
                if cid:
                    ids.add(str(cid))
    return ids, checked


def execute_plan(session: ExchangeSession, plan: OrderPlan, run_id: str) -> ExecutionReport:
    """Send ``plan``'s orders as market orders, one by one (see the module docs).

    Raises
    ------
    TradeError
        If the session has no credentials, or the existing orders cannot be read.
    """
    if not session.authenticated:
        raise TradeError(
            f"placing orders on {session.exchange_id} needs API keys (see docs/trading.md)"
        )
    markets = list(dict.fromkeys(o.market for o in plan.orders))
    existing, checked = _existing_client_ids(session, markets) if markets else (set(), True)
    outcomes: list[OrderOutcome] = []
    stopped: str | None = None
    for order in plan.orders:
        cid = client_order_id(run_id, order.market, str(order.side))
        if stopped is not None:
            outcomes.append(OrderOutcome(order, cid, OrderStatus.NOT_ATTEMPTED, message=stopped))
            continue
        if cid in existing:
            outcomes.append(
                OrderOutcome(
                    order,
                    cid,
                    OrderStatus.ALREADY_PLACED,
                    message="an order with this client id exists; not sent again",
                )
            )
            continue
        params: dict[str, Any] = {"clientOrderId": cid}
        try:
            result = session.call(
                "create_order", order.market, "market", str(order.side), order.amount, None, params
            )
        except ExchangeCallError as exc:
            outcomes.append(OrderOutcome(order, cid, OrderStatus.FAILED, message=str(exc)))
            if exc.account_level:
                stopped = f"stopped after {order.side} {order.market} failed with {exc.kind}"
            continue
        note = "" if checked else "exchange cannot list past orders: re-runs are not de-duplicated"
        outcomes.append(
            OrderOutcome(
                order,
                cid,
                OrderStatus.PLACED,
                exchange_order_id=str(result.get("id")) if result.get("id") is not None else None,
                message=note,
            )
        )
    return ExecutionReport(run_id=run_id, outcomes=tuple(outcomes), stopped=stopped)
