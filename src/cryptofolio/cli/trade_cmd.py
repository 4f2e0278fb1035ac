"""``cryptofolio rebalance`` and ``cryptofolio allocate``: from an account (or a cash amount) to
orders. A thin shell: options -> :func:`cryptofolio.trade.plan_rebalance` /
:func:`cryptofolio.trade.invest` -> tables or JSON; with ``--execute``, a confirmation prompt
and :func:`cryptofolio.trade.execute_plan`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

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
from cryptofolio.cli.trade_json import allocation_json, execution_json, holdings_json, plan_json
from cryptofolio.cli.trade_options import (
    DustOpt,
    ExchangeOpt,
    ExecuteOpt,
    FeeOpt,
    FormatOpt,
    HoldingsOpt,
    KeysFileOpt,
    MarketOpt,
    MinTradeOpt,
    OutputFormat,
    QuoteOpt,
    RunIdOpt,
    SlippageBpsOpt,
    SlippageOpt,
    TestnetOpt,
    YesOpt,
)
from cryptofolio.cli.trade_tables import (
    console,
    print_allocation,
    print_execution,
    print_holdings,
    print_plan,
)
from cryptofolio.costs import Slippage
from cryptofolio.data import parse_symbols
from cryptofolio.errors import CryptofolioError, TradeError
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.trade.allocation import AllocationMethod
from cryptofolio.trade.exchange import ExchangeSession, MarketType, connect
from cryptofolio.trade.execution import default_run_id, execute_plan
from cryptofolio.trade.investment import invest
from cryptofolio.trade.keys import load_credentials, redact
from cryptofolio.trade.rebalance import Rebalance, RebalanceRequest, plan_rebalance
from cryptofolio.trade.target import PriceSource

F = TypeVar("F", bound=Callable[..., Any])


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


@dataclass(frozen=True)
class Account:
    """The ``rebalance`` options that choose the account: exchange (``None`` offline), market
    type, testnet, keys file; and what to do with the plan (send it, ask first, run id)."""

    exchange: str | None
    market: MarketType
    testnet: bool
    keys_file: Path | None
    execute: bool
    yes: bool
    run_id: str | None


def _check_account(account: Account, holdings_file: Path | None) -> None:
    """Reject option combinations that cannot work, before anything is read."""
    if account.exchange is None and holdings_file is None:
        raise TradeError("give --exchange (read the account) or --holdings FILE (offline)")
    if account.execute and account.exchange is None:
        raise TradeError("--execute needs --exchange: there is nowhere to send orders offline")
    if account.execute and holdings_file is not None:
        raise TradeError(
            "--execute reads the account itself; drop --holdings (a file may not match the "
            "account the orders would go to)"
        )
    if holdings_file is not None and account.market is MarketType.LINEAR:
        raise TradeError("a --holdings file describes spot amounts; use --market spot with it")


def _run_rebalance(request: RebalanceRequest, account: Account, fmt: OutputFormat) -> None:
    _check_account(account, request.holdings_file)
    session: ExchangeSession | None = None
    if account.exchange is not None:
        creds = None
        if request.holdings_file is None or account.execute:
            creds = load_credentials(account.exchange, account.keys_file)
        session = connect(
            account.exchange, account.market, credentials=creds, testnet=account.testnet
        )
    secrets = session.secrets if session else []
    return _redacting(secrets)(_rebalance_body)(request, account, session, fmt)


def _rebalance_body(
    request: RebalanceRequest,
    account: Account,
    session: ExchangeSession | None,
    fmt: OutputFormat,
) -> None:
    rebalance = plan_rebalance(request, session)
    plan = rebalance.plan
    payload: dict[str, Any] = {
        "dry_run": not account.execute,
        "holdings": holdings_json(rebalance.holdings),
        "target_window": [str(rebalance.target.start), str(rebalance.target.end)],
        "plan": plan_json(plan),
    }
    if fmt is OutputFormat.TABLE:
        print_holdings(rebalance.holdings)
        print_plan(plan, rebalance.target)
    if not account.execute or not plan.orders:
        if fmt is OutputFormat.JSON:
            typer.echo(json.dumps(payload, indent=2, default=str))
        elif not account.execute:
            console.print("dry run: nothing was sent (add --execute to place these orders)")
        else:
            console.print("no orders to place")
        return
    assert session is not None
    _send(rebalance, account, session, fmt, payload)


def _send(
    rebalance: Rebalance,
    account: Account,
    session: ExchangeSession,
    fmt: OutputFormat,
    payload: dict[str, Any],
) -> None:
    """Confirm (unless --yes), send the plan, print the outcomes; exit 1 on a refusal or a
    failed order."""
    plan = rebalance.plan
    run_id = account.run_id or default_run_id(plan, session.exchange_id)
    where = f"{session.exchange_id} {session.market_type}" + (
        " TESTNET" if session.testnet else " (LIVE account)"
    )
    if not account.yes:
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
    request = RebalanceRequest(
        config=config,
        prices=PriceSource(dataset, prices, start, end, data_dir),
        quote=quote,
        holdings_file=holdings,
        added=tuple(parse_symbols(assets) or ()),
        min_trade=min_trade,
        dust=dust,
        fee_bps=fee_bps,
        slippage=slippage,
        slippage_bps=slippage_bps,
    )
    account = Account(
        exchange=exchange,
        market=MarketType(market),
        testnet=testnet,
        keys_file=keys_file,
        execute=execute,
        yes=yes,
        run_id=run_id,
    )
    _run_rebalance(request, account, OutputFormat(format))


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
    source = PriceSource(dataset, prices, start, end, data_dir)
    done = invest(value, source, config, assets=parse_symbols(assets), method=method, step=step)
    if OutputFormat(format) is OutputFormat.JSON:
        typer.echo(json.dumps(allocation_json(done.allocation, done.target), indent=2, default=str))
    else:
        print_allocation(done.allocation, done.target)


def register(app: typer.Typer) -> None:
    """Add ``rebalance`` and ``allocate`` to ``app``."""
    app.command("rebalance")(rebalance)
    app.command("allocate")(allocate_command)
