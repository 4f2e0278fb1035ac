"""``cryptofolio rebalance`` and ``cryptofolio allocate``: from an account (or a cash amount) to
orders. A thin shell over :mod:`cryptofolio.trade`."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.options import (
    AssetsOpt,
    DataDirOpt,
    DatasetOpt,
    EndOpt,
    PricesOpt,
    StartOpt,
)
from cryptofolio.cli.portfolio_options import with_portfolio_options
from cryptofolio.costs import CostModel, Slippage
from cryptofolio.data import load_market_data, parse_symbols, to_panels
from cryptofolio.errors import CryptofolioError, TradeError
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.trade.allocation import AllocationMethod, DiscreteAllocation, allocate
from cryptofolio.trade.exchange import ExchangeSession, MarketType, connect
from cryptofolio.trade.execution import ExecutionReport, default_run_id, execute_plan
from cryptofolio.trade.holdings import (
    Holdings,
    fetch_holdings,
    latest_prices,
    read_holdings_file,
    ticker_prices,
    value_holdings,
)
from cryptofolio.trade.keys import load_credentials, redact
from cryptofolio.trade.markets import load_rules
from cryptofolio.trade.orders import OrderPlan, plan_orders
from cryptofolio.trade.target import Target, target_weights, universe

console = Console()
F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


ExchangeOpt = Annotated[
    str | None,
    typer.Option(
        "--exchange", help="ccxt exchange id: binance, bybit, ... (omit with --holdings)."
    ),
]
MarketOpt = Annotated[
    MarketType, typer.Option("--market", help="spot balances or USDT-margined linear futures.")
]
HoldingsOpt = Annotated[
    Path | None,
    typer.Option("--holdings", help="CSV/JSON file of holdings (symbol, amount): works offline."),
]
QuoteOpt = Annotated[str, typer.Option("--quote", help="Quote currency that values everything.")]
MinTradeOpt = Annotated[
    float, typer.Option("--min-trade", help="Skip trades below this notional (quote currency).")
]
DustOpt = Annotated[
    float, typer.Option("--dust", help="Holdings worth less than this (quote) are reported apart.")
]
TestnetOpt = Annotated[
    bool, typer.Option("--testnet", help="Use the exchange's testnet/sandbox (ccxt sandbox mode).")
]
ExecuteOpt = Annotated[
    bool, typer.Option("--execute", help="Send the orders (after a confirmation prompt).")
]
YesOpt = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation with --execute.")]
RunIdOpt = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="Id making client order ids; re-running with the same id never places twice. "
        "Default: hash of the plan and the UTC date.",
    ),
]
KeysFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--keys-file",
        envvar="CRYPTOFOLIO_KEYS_FILE",
        help="TOML keys file (default ~/.config/cryptofolio/keys.toml).",
    ),
]
FeeOpt = Annotated[
    float | None,
    typer.Option("--fee-bps", help="Fee in basis points (default: the market's taker fee)."),
]
SlippageOpt = Annotated[
    Slippage, typer.Option("--slippage", help="Slippage model for the cost estimate.")
]
SlippageBpsOpt = Annotated[
    float, typer.Option("--slippage-bps", help="Fixed slippage in basis points.")
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def _redacting(secrets: list[str]) -> Callable[[F], F]:
    """Scrub ``secrets`` from any library error message before handle_errors shows it."""

    def deco(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except CryptofolioError as exc:
                text = redact(str(exc), secrets)
                if text != str(exc):
                    raise TradeError(text) from None
                raise

        return wrapper  # type: ignore[return-value]

    return deco


def _num(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _series_json(s: pd.Series) -> dict[str, Any]:
    return {str(k): _num(float(v)) for k, v in s.items()}


# ----------------------------------------------------------------------------- rendering


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
        out.print(f"dust below {h.dust_threshold:g} {h.quote}, left out: {dust}")
    if h.unpriced:
        out.print(f"[yellow]no price, left out of equity:[/] {', '.join(h.unpriced)}")


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
        out.print(f"note: {note}")


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
        out.print(f"[red]{report.stopped}[/]; re-run with --run-id {report.run_id} to resume")


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
    return out


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


# ----------------------------------------------------------------------------- commands


def _close_panel(
    dataset: str | None,
    prices: Path | None,
    assets: list[str],
    start: str | None,
    end: str | None,
    data_dir: Path | None,
) -> pd.DataFrame:
    long = load_market_data(
        dataset, prices, symbols=assets, start=start, end=end, data_dir=data_dir
    )
    return to_panels(long).close


def _run_rebalance(**kw: Any) -> None:
    exchange: str | None = kw["exchange"]
    holdings_file: Path | None = kw["holdings"]
    market = MarketType(kw["market"])
    quote = kw["quote"].strip().upper()
    fmt = OutputFormat(kw["format"])
    if exchange is None and holdings_file is None:
        raise TradeError("give --exchange (read the account) or --holdings FILE (offline)")
    if kw["execute"] and exchange is None:
        raise TradeError("--execute needs --exchange: there is nowhere to send orders offline")
    if kw["execute"] and holdings_file is not None:
        raise TradeError(
            "--execute reads the account itself; drop --holdings (a file may not match the "
            "account the orders would go to)"
        )
    if holdings_file is not None and market is MarketType.LINEAR:
        raise TradeError("a --holdings file describes spot amounts; use --market spot with it")

    session: ExchangeSession | None = None
    if exchange is not None:
        creds = None
        if holdings_file is None or kw["execute"]:
            creds = load_credentials(exchange, kw["keys_file"])
        session = connect(exchange, market, credentials=creds, testnet=kw["testnet"])
    secrets = session.secrets if session else []
    return _redacting(secrets)(_rebalance_body)(session, market, quote, fmt, kw)


def _rebalance_body(
    session: ExchangeSession | None,
    market: MarketType,
    quote: str,
    fmt: OutputFormat,
    kw: dict[str, Any],
) -> None:
    config = kw["config"]
    added = parse_symbols(kw["assets"]) or []
    tickers: pd.DataFrame | None = None
    if kw["holdings"] is not None:
        amounts = read_holdings_file(kw["holdings"])
        held = list(amounts.index)
    else:
        assert session is not None
        holdings, tickers = fetch_holdings(session, quote, dust_threshold=kw["dust"])
        held = holdings.risky_assets()
    assets = universe(held, added, quote)
    data_assets = list(dict.fromkeys([*assets, *[a for a in held if a != quote]]))
    close = _close_panel(
        kw["dataset"], kw["prices"], data_assets, kw["start"], kw["end"], kw["data_dir"]
    )
    if kw["holdings"] is not None:
        if session is not None:
            tickers = ticker_prices(session, list(dict.fromkeys([*held, *assets])), quote)
            px = tickers["price"]
        else:
            px = latest_prices(close)["price"]
        holdings = value_holdings(
            amounts,
            px,
            quote,
            dust_threshold=kw["dust"],
            source=f"{kw['holdings']}" + (f" priced on {session.exchange_id}" if session else ""),
        )
        if holdings.unpriced:
            raise TradeError(
                f"no price for {', '.join(holdings.unpriced)} held in {kw['holdings']}; add "
                "them to the --prices file or remove them from the holdings"
            )
    target = target_weights(close, assets, config)
    rules = None
    volumes = None
    if session is not None:
        extra = [a for a in assets if tickers is None or a not in tickers.index]
        if extra:
            more = ticker_prices(session, extra, quote)
            tickers = more if tickers is None else pd.concat([tickers, more])
        rules, _missing = load_rules(
            session, list(dict.fromkeys([*holdings.risky_assets(), *assets])), quote
        )
        prices = tickers["price"] if tickers is not None else None
        volumes = tickers["quote_volume"] if tickers is not None else None
    else:
        prices = latest_prices(close)["price"]
    cost_model = None
    if kw["fee_bps"] is not None or kw["slippage"] is not Slippage.NONE:
        fee = kw["fee_bps"]
        if fee is None:
            fees = [r.taker_fee for r in (rules or {}).values() if r.taker_fee is not None]
            fee = max(fees) * 1e4 if fees else 10.0
        cost_model = CostModel(
            fee_bps=fee, slippage=Slippage(kw["slippage"]), slippage_bps=kw["slippage_bps"]
        )
    plan = plan_orders(
        holdings,
        target.weights,
        rules=rules,
        prices=prices,
        volumes=volumes,
        cost_model=cost_model,
        min_trade=kw["min_trade"],
    )
    report: ExecutionReport | None = None
    payload: dict[str, Any] = {
        "dry_run": not kw["execute"],
        "holdings": holdings_json(holdings),
        "target_window": [str(target.start), str(target.end)],
        "plan": plan_json(plan),
    }
    if fmt is OutputFormat.TABLE:
        print_holdings(holdings)
        print_plan(plan, target)
    if not kw["execute"]:
        if fmt is OutputFormat.JSON:
            typer.echo(json.dumps(payload, indent=2, default=str))
        else:
            console.print("dry run: nothing was sent (add --execute to place these orders)")
        return
    assert session is not None
    if not plan.orders:
        if fmt is OutputFormat.JSON:
            typer.echo(json.dumps(payload, indent=2, default=str))
        else:
            console.print("no orders to place")
        return
    run_id = kw["run_id"] or default_run_id(plan, session.exchange_id)
    where = f"{session.exchange_id} {session.market_type}" + (
        " TESTNET" if session.testnet else " (LIVE account)"
    )
    if not kw["yes"]:
        ok = typer.confirm(
            f"Send {len(plan.orders)} market orders to {where}?", default=False, err=True
        )
        if not ok:
            typer.echo("aborted: nothing was sent", err=True)
            raise typer.Exit(code=1)
    report = execute_plan(session, plan, run_id)
    payload["execution"] = execution_json(report)
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps(payload, indent=2, default=str))
    else:
        print_execution(report)
    if not report.ok:
        raise typer.Exit(code=1)


@handle_errors
@with_portfolio_options()
def rebalance(
    exchange: ExchangeOpt = None,
    market: MarketOpt = MarketType.SPOT,
    holdings: HoldingsOpt = None,
    quote: QuoteOpt = "USDT",
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: Annotated[
        str | None,
        typer.Option("--assets", help="Assets to add to those held, e.g. SOL,ADA (or USDT)."),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    *,
    config: PortfolioConfig,
    min_trade: MinTradeOpt = 10.0,
    dust: DustOpt = 1.0,
    fee_bps: FeeOpt = None,
    slippage: SlippageOpt = Slippage.NONE,
    slippage_bps: SlippageBpsOpt = 0.0,
    testnet: TestnetOpt = False,
    execute: ExecuteOpt = False,
    yes: YesOpt = False,
    run_id: RunIdOpt = None,
    keys_file: KeysFileOpt = None,
    format: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Compare an exchange account (or a holdings file) with an optimised portfolio and list
    the orders that move it there. Dry run unless --execute.

    Target weights are optimised over the assets held (the quote currency aside) plus those
    given with --assets, estimated from --dataset/--prices. Orders are rounded to the
    exchange's amount step, respect its minimum amount and notional, skip trades below
    --min-trade, and put sells before buys. API keys: CRYPTOFOLIO_<EXCHANGE>_API_KEY and
    _SECRET, or ~/.config/cryptofolio/keys.toml.

    Example:

      cryptofolio rebalance --holdings my.csv --dataset coingecko-daily --objective min-variance

      cryptofolio rebalance --exchange binance --assets SOL --min-trade 10

      cryptofolio rebalance --exchange bybit --market linear --testnet --execute
    """
    _run_rebalance(
        exchange=exchange,
        market=market,
        holdings=holdings,
        quote=quote,
        dataset=dataset,
        prices=prices,
        assets=assets,
        start=start,
        end=end,
        data_dir=data_dir,
        config=config,
        min_trade=min_trade,
        dust=dust,
        fee_bps=fee_bps,
        slippage=slippage,
        slippage_bps=slippage_bps,
        testnet=testnet,
        execute=execute,
        yes=yes,
        run_id=run_id,
        keys_file=keys_file,
        format=format,
    )


@handle_errors
@with_portfolio_options()
def allocate_command(
    value: Annotated[float, typer.Option("--value", help="Amount to invest (quote currency).")],
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    *,
    config: PortfolioConfig,
    method: Annotated[
        AllocationMethod,
        typer.Option("--method", help="greedy (PyPortfolioOpt-style) or lp (exact MILP)."),
    ] = AllocationMethod.GREEDY,
    step: Annotated[
        float | None,
        typer.Option(
            "--step",
            help="Lot step in base units for every asset; default a power of ten worth 1-10 "
            "in the quote currency (e.g. 0.0001 BTC).",
        ),
    ] = None,
    format: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Whole-lot amounts of each asset for investing --value in an optimised portfolio, with the
    leftover cash, priced at each asset's last close in the data.

    Example:

      cryptofolio allocate --value 10000 --assets BTC,ETH,SOL,BNB --start 2022-01-01

      cryptofolio allocate --value 10000 --assets BTC,ETH,SOL --objective max-sharpe --method lp
    """
    symbols = parse_symbols(assets)
    long = load_market_data(
        dataset, prices, symbols=symbols, start=start, end=end, data_dir=data_dir
    )
    close = to_panels(long).close
    chosen = symbols or list(close.columns)
    target = target_weights(close, chosen, config)
    last = latest_prices(close, chosen)["price"]
    steps = pd.Series(step, index=target.weights.index, dtype=float) if step else None
    alloc = allocate(target.weights, last, value, AllocationMethod(method), steps=steps)
    if OutputFormat(format) is OutputFormat.JSON:
        typer.echo(json.dumps(allocation_json(alloc, target), indent=2, default=str))
    else:
        print_allocation(alloc, target)


def register(app: typer.Typer) -> None:
    """Add ``rebalance`` and ``allocate`` to ``app``."""
    app.command("rebalance")(rebalance)
    app.command("allocate")(allocate_command)
