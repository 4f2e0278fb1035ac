"""Options of ``cryptofolio rebalance`` and ``cryptofolio allocate`` (the names are a contract)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cryptofolio.costs import Slippage
from cryptofolio.trade.exchange import MarketType


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
