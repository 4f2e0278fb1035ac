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

from cryptofolio.cli.allocator_options import AllocatorOptions, with_allocator_options
from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.errors import err_console, handle_errors
from cryptofolio.cli.optimize_views import reported_warnings
from cryptofolio.cli.options import DataOptions, with_data_options
from cryptofolio.cli.portfolio_options import with_portfolio_options
from cryptofolio.cli.trade_json import (
    allocation_json,
    execution_json,
    holdings_json,
    plan_json,
    risk_contributions_json,
)
from cryptofolio.cli.trade_options import (
    AccountSource,
    FormatOpt,
    OrderSizing,
    OutputFormat,
    Sending,
    with_account_options,
    with_rebalance_data_options,
    with_sending_options,
    with_sizing_options,
)
from cryptofolio.cli.trade_tables import (
    console,
    print_allocation,
    print_execution,
    print_holdings,
    print_plan,
)
from cryptofolio.cli.views_options import ViewsOptions, with_views_options
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

    @classmethod
    def of(cls, source: AccountSource, sending: Sending) -> Account:
        return cls(
            exchange=source.exchange,
            market=MarketType(source.market),
            testnet=sending.testnet,
            keys_file=sending.keys_file,
            execute=sending.execute,
            yes=sending.yes,
            run_id=sending.run_id,
        )


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
    with reported_warnings() as warned:
        rebalance = plan_rebalance(request, session)
    plan = rebalance.plan
    payload: dict[str, Any] = {
        "dry_run": not account.execute,
        "holdings": holdings_json(rebalance.holdings),
        "target_window": [str(rebalance.target.start), str(rebalance.target.end)],
        "plan": plan_json(plan),
        **risk_contributions_json(rebalance.target),
        "warnings": list(warned),
    }
    if fmt is OutputFormat.TABLE:
        print_holdings(rebalance.holdings)
        print_plan(plan, rebalance.target)
    elif fmt is OutputFormat.CSV:  # the orders; what the table adds goes to stderr
        echo_csv(payload["plan"]["orders"])
    if not account.execute or not plan.orders:
        said = console if fmt is OutputFormat.TABLE else err_console
        if fmt is OutputFormat.JSON:
            typer.echo(json.dumps(payload, indent=2, default=str))
        elif not account.execute:
            said.print("dry run: nothing was sent (add --execute to place these orders)")
        else:
            said.print("no orders to place")
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
        print_execution(report, console if fmt is OutputFormat.TABLE else err_console)
    if not report.ok:
        raise typer.Exit(code=1)


@handle_errors
@with_account_options
@with_rebalance_data_options
@with_portfolio_options()
@with_allocator_options
@with_sizing_options
@with_sending_options
@with_views_options
def rebalance(
    *,
    account: AccountSource,
    data: DataOptions,
    config: PortfolioConfig,
    allocator: AllocatorOptions,
    sizing: OrderSizing,
    sending: Sending,
    black_litterman: ViewsOptions,
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

      cryptofolio rebalance --holdings examples/holdings.csv --dataset coingecko-daily --start 2022-01-01 --objective min-variance

      cryptofolio rebalance --exchange binance --assets SOL --min-trade 10

      cryptofolio rebalance --exchange bybit --market linear --testnet --start 2022-01-01 --execute
    """
    request = RebalanceRequest(
        config=allocator.apply(black_litterman.apply(config), [str(config.objective)]),
        prices=_price_source(data),
        quote=account.quote,
        holdings_file=account.holdings,
        added=tuple(parse_symbols(data.assets) or ()),
        min_trade=sizing.min_trade,
        dust=sizing.dust,
        fee_bps=sizing.fee_bps,
        slippage=sizing.slippage,
        slippage_bps=sizing.slippage_bps,
    )
    _run_rebalance(request, Account.of(account, sending), OutputFormat(format))


def _price_source(data: DataOptions) -> PriceSource:
    return PriceSource(data.dataset, data.prices, data.start, data.end, data.data_dir)


@handle_errors
@with_data_options
@with_portfolio_options()
@with_allocator_options
@with_views_options
def allocate_command(
    value: Annotated[float, typer.Option("--value", help="Amount to invest (quote currency).")],
    *,
    data: DataOptions,
    config: PortfolioConfig,
    allocator: AllocatorOptions,
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
    black_litterman: ViewsOptions,
    format: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Whole-lot amounts of each asset for investing --value in an optimised portfolio, with the
    leftover cash, priced at each asset's last close in the data.

    Example:

      cryptofolio allocate --value 10000 --assets BTC,ETH,SOL,BNB --start 2022-01-01

      cryptofolio allocate --value 10000 --assets BTC,ETH,SOL --objective max-sharpe --method lp
    """
    assets = parse_symbols(data.assets)
    config = allocator.apply(black_litterman.apply(config), [str(config.objective)])
    with reported_warnings() as warned:
        done = invest(value, _price_source(data), config, assets=assets, method=method, step=step)
    if OutputFormat(format) is OutputFormat.JSON:
        doc = {**allocation_json(done.allocation, done.target), "warnings": list(warned)}
        typer.echo(json.dumps(doc, indent=2, default=str))
    elif OutputFormat(format) is OutputFormat.CSV:
        echo_csv(allocation_json(done.allocation)["rows"])
    else:
        print_allocation(done.allocation, done.target)


def register(app: typer.Typer) -> None:
    """Add ``rebalance`` and ``allocate`` to ``app``."""
    app.command("rebalance")(rebalance)
    app.command("allocate")(allocate_command)
