"""The JSON documents of ``rebalance --format json`` and ``allocate --format json`` (the field
names are a contract): amounts in base units, prices, values and costs in the quote currency,
weights fractions; non-finite numbers become ``null``."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cryptofolio.trade.allocation import DiscreteAllocation
from cryptofolio.trade.execution import ExecutionReport
from cryptofolio.trade.holdings import Holdings
from cryptofolio.trade.orders import OrderPlan
from cryptofolio.trade.target import Target


def _num(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _series_json(s: pd.Series) -> dict[str, Any]:
    return {str(k): _num(float(v)) for k, v in s.items()}


def holdings_json(h: Holdings) -> dict[str, Any]:
    return {
        "source": h.source,
        "quote": h.quote,
        "market": str(h.market_type),
        "equity": h.equity,
        "cash": h.cash,
        "positions": [
            {"asset": a, **{k: _num(v) for k, v in row.items()}}
            for a, row in h.positions.astype(object).iterrows()
        ],
        "dust": [
            {"asset": a, "amount": float(r["amount"]), "value": float(r["value"])}
            for a, r in h.dust.iterrows()
        ],
        "unpriced": list(h.unpriced),
    }


def plan_json(plan: OrderPlan) -> dict[str, Any]:
    return {
        "equity": plan.equity,
        "equity_after": plan.equity_after,
        "quote": plan.quote,
        "market": str(plan.market_type),
        "fee_bps": plan.cost_model.fee_bps,
        "slippage": str(plan.cost_model.slippage),
        "weights": {
            col: _series_json(plan.weights_table()[col])
            for col in ("current", "target", "resulting")
        },
        "orders": [
            {
                "asset": o.asset,
                "market": o.market,
                "side": str(o.side),
                "amount": o.amount,
                "base_amount": o.base_amount,
                "price": o.price,
                "notional": o.notional,
                "fee": o.fee,
                "slippage": o.slippage,
            }
            for o in plan.orders
        ],
        "skipped": [
            {
                "asset": s.asset,
                "market": s.market,
                "side": str(s.side),
                "amount": s.wanted_amount,
                "notional": s.notional,
                "reason": s.reason,
            }
            for s in plan.skipped
        ],
        "total_fees": plan.total_fees,
        "total_slippage": plan.total_slippage,
        "turnover": plan.turnover,
        "notes": list(plan.notes),
    }


def execution_json(report: ExecutionReport) -> dict[str, Any]:
    return {
        "run_id": report.run_id,
        "stopped": report.stopped,
        "outcomes": [
            {
                "market": o.order.market,
                "side": str(o.order.side),
                "amount": o.order.amount,
                "client_order_id": o.client_order_id,
                "status": str(o.status),
                "exchange_order_id": o.exchange_order_id,
                "message": o.message,
            }
            for o in report.outcomes
        ],
    }


def allocation_json(alloc: DiscreteAllocation, target: Target | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": str(alloc.method),
        "value": alloc.total_value,
        "leftover": alloc.leftover,
        "deviation": alloc.deviation,
        "rows": [
            {"asset": a, **{k: _num(float(v)) for k, v in r.items()}}
            for a, r in alloc.to_frame().iterrows()
        ],
    }
    if target is not None:
        out["window"] = [str(target.start), str(target.end)]
        out.update(risk_contributions_json(target))
    return out


def risk_contributions_json(target: Target) -> dict[str, Any]:
    """``{"risk_contributions": {asset: share of the variance}}`` for the allocators that
    report them (hrp, herc, risk-parity), else nothing."""
    rc = target.result.risk_contributions
    return {} if rc is None else {"risk_contributions": _series_json(rc)}
