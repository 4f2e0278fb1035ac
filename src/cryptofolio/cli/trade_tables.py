"""Rich tables of ``rebalance`` and ``allocate``: holdings, weights and orders, execution
outcomes, a discrete allocation."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cryptofolio.trade.allocation import DiscreteAllocation
from cryptofolio.trade.execution import ExecutionReport
from cryptofolio.trade.holdings import Holdings
from cryptofolio.trade.orders import OrderPlan
from cryptofolio.trade.target import Target

console = Console()


def print_holdings(h: Holdings, out: Console = console) -> None:
    table = Table(title=f"Holdings ({h.source}) in {h.quote}")
    for col in ("asset", "amount", "price", "value", "weight", "cash-like"):
        table.add_column(col, justify="left" if col == "asset" else "right")
    for asset, r in h.positions.iterrows():
        table.add_row(
            str(asset),
            f"{r['amount']:.8g}",
            f"{r['price']:,.6g}",
            f"{r['value']:,.2f}",
            f"{r['weight']:.2%}",
            "yes" if r["cash_like"] else "",
        )
    out.print(table)
    out.print(f"equity {h.equity:,.2f} {h.quote}   cash (stablecoins) {h.cash:,.2f} {h.quote}")
    if not h.dust.empty:
        dust = ", ".join(f"{a} {r['amount']:.8g} ({r['value']:.2f})" for a, r in h.dust.iterrows())
        out.print(f"dust below {h.dust_threshold:g} {h.quote}, left out: {dust}", markup=False)
    if h.unpriced:
        out.print(f"[yellow]no price, left out of equity:[/] {escape(', '.join(h.unpriced))}")


def print_plan(plan: OrderPlan, target: Target | None = None, out: Console = console) -> None:
    title = "Weights"
    if target is not None:
        title += f" (target estimated {target.start.date()} to {target.end.date()})"
    wt = Table(title=title)
    for col in ("asset", "current", "target", "resulting", "resulting - target"):
        wt.add_column(col, justify="left" if col == "asset" else "right")
    for asset, r in plan.weights_table().iterrows():
        wt.add_row(str(asset), *(f"{r[c]:.2%}" for c in r.index))
    out.print(wt)
    ot = Table(title=f"Orders (sells first) in {plan.quote}")
    for col in ("#", "side", "market", "amount", "price", "notional", "fee", "slippage"):
        ot.add_column(col, justify="right")
    for i, o in enumerate(plan.orders, 1):
        ot.add_row(
            str(i),
            str(o.side),
            o.market,
            f"{o.amount:.10g}",
            f"{o.price:,.6g}",
            f"{o.notional:,.2f}",
            f"{o.fee:,.2f}",
            f"{o.slippage:,.2f}",
        )
    out.print(ot)
    if plan.skipped:
        st = Table(title="Skipped trades")
        for col in ("side", "market", "amount", "notional", "reason"):
            st.add_column(col)
        for s in plan.skipped:
            st.add_row(
                str(s.side), s.market, f"{s.wanted_amount:.8g}", f"{s.notional:,.2f}", s.reason
            )
        out.print(st)
    out.print(
        f"estimated fees {plan.total_fees:,.2f} + slippage {plan.total_slippage:,.2f} "
        f"{plan.quote}; turnover {plan.turnover:.2%}"
    )
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)


def print_execution(report: ExecutionReport, out: Console = console) -> None:
    table = Table(title=f"Execution (run id {report.run_id})")
    for col in ("#", "side", "market", "amount", "status", "order id", "message"):
        table.add_column(col)
    for i, o in enumerate(report.outcomes, 1):
        table.add_row(
            str(i),
            str(o.order.side),
            o.order.market,
            f"{o.order.amount:.10g}",
            str(o.status),
            o.exchange_order_id or "",
            o.message,
        )
    out.print(table)
    if report.stopped:
        out.print(
            f"[red]{escape(str(report.stopped))}[/]; re-run with --run-id {report.run_id} to resume"
        )


def print_allocation(
    alloc: DiscreteAllocation, target: Target | None = None, out: Console = console
) -> None:
    """Render a discrete allocation as a table (used by ``allocate`` and the demo)."""
    title = f"Discrete allocation ({alloc.method}) of {alloc.total_value:,.2f}"
    if target is not None:
        title += f"; weights estimated {target.start.date()} to {target.end.date()}"
    table = Table(title=title)
    for col in ("asset", "target", "price", "amount", "value", "weight"):
        table.add_column(col, justify="left" if col == "asset" else "right")
    for asset, r in alloc.to_frame().iterrows():
        table.add_row(
            str(asset),
            f"{r['target_weight']:.2%}",
            f"{r['price']:,.6g}",
            f"{r['amount']:.10g}",
            f"{r['value']:,.2f}",
            f"{r['weight']:.2%}",
        )
    out.print(table)
    out.print(
        f"leftover cash {alloc.leftover:,.2f}; deviation from target {alloc.deviation:,.2f} "
        f"(sum of |target value - value|)"
    )
