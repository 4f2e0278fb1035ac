"""Options of ``cryptofolio rebalance`` and ``cryptofolio allocate`` (the names are a contract);
``rebalance`` takes them in groups: the account (:class:`AccountSource`), the order sizing
(:class:`OrderSizing`) and the sending (:class:`Sending`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import data_option_group
from cryptofolio.cli.slippage_option import (
    NO_SLIPPAGE,
    SlippageChoice,
    resolved_slippage,
    slippage_option,
)
from cryptofolio.costs import Slippage
from cryptofolio.trade.exchange import MarketType


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


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
    SlippageChoice,
    slippage_option("Slippage of the cost estimate: none, fixed:BPS (e.g. fixed:5) or sqrt."),
]
SlippageBpsOpt = Annotated[
    float,
    typer.Option("--slippage-bps", help="Basis points of a bare --slippage fixed (= fixed:BPS)."),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format", help="table, json or csv (the main table: the orders; allocate: the lots)."
    ),
]
RebalanceAssetsOpt = Annotated[
    str | None,
    typer.Option("--assets", help="Assets to add to those held, e.g. SOL,ADA (or USDT)."),
]


@dataclass(frozen=True)
class AccountSource:
    """Which account: an exchange id (``None``: offline, from ``holdings``), its market type, a
    holdings file, and the quote currency that values everything."""

    exchange: str | None = None
    market: MarketType = MarketType.SPOT
    holdings: Path | None = None
    quote: str = "USDT"


@dataclass(frozen=True)
class OrderSizing:
    """Minimum trade and dust (quote currency); the cost estimate's fee and slippage (bps)."""

    min_trade: float = 10.0
    dust: float = 1.0
    fee_bps: float | None = None
    slippage: Slippage = Slippage.NONE
    slippage_bps: float = 0.0


@dataclass(frozen=True)
class Sending:
    """Whether and how the plan is sent: testnet, send, skip the prompt, run id, keys file."""

    testnet: bool = False
    execute: bool = False
    yes: bool = False
    run_id: str | None = None
    keys_file: Path | None = None


def _sizing(
    *, slippage: SlippageChoice, slippage_bps: float, **values: float | None
) -> OrderSizing:
    model, bps = resolved_slippage(slippage, slippage_bps)
    return OrderSizing(slippage=model, slippage_bps=bps, **values)  # type: ignore[arg-type]


with_account_options = with_option_group(
    "account",
    [
        keyword_option("exchange", ExchangeOpt, None),
        keyword_option("market", MarketOpt, MarketType.SPOT),
        keyword_option("holdings", HoldingsOpt, None),
        keyword_option("quote", QuoteOpt, "USDT"),
    ],
    lambda values: AccountSource(**values),
    what="account",
)
with_rebalance_data_options = data_option_group(RebalanceAssetsOpt)
with_sizing_options = with_option_group(
    "sizing",
    [
        keyword_option("min_trade", MinTradeOpt, 10.0),
        keyword_option("dust", DustOpt, 1.0),
        keyword_option("fee_bps", FeeOpt, None),
        keyword_option("slippage", SlippageOpt, NO_SLIPPAGE),
        keyword_option("slippage_bps", SlippageBpsOpt, 0.0),
    ],
    lambda values: _sizing(**values),
    what="order sizing",
)
with_sending_options = with_option_group(
    "sending",
    [
        keyword_option("testnet", TestnetOpt, False),
        keyword_option("execute", ExecuteOpt, False),
        keyword_option("yes", YesOpt, False),
        keyword_option("run_id", RunIdOpt, None),
        keyword_option("keys_file", KeysFileOpt, None),
    ],
    lambda values: Sending(**values),
    what="sending",
)
