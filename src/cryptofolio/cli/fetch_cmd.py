"""``cryptofolio data fetch``: download market data into the local store."""

from __future__ import annotations

import json
import warnings
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.fetch_options import (
    CandleRequest,
    FormerNames,
    StorePolicy,
    with_candle_options,
    with_former_names,
    with_policy_options,
)
from cryptofolio.cli.options import DataDirOpt
from cryptofolio.errors import DataError

if TYPE_CHECKING:
    from cryptofolio.data.sources.sync import FetchReport

console = Console()


def parse_exchange_options(items: list[str] | None) -> dict[str, Any]:
    """``["options.defaultType=spot", "timeout=30000"]`` -> nested ccxt configuration.

    Values are read as JSON where possible (numbers, ``true``, lists), else kept as text.
    """
    config: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise DataError(
                f"--exchange-option {item!r} is not KEY=VALUE; e.g. --exchange-option timeout=30000"
            )
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        node = config
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise DataError(f"--exchange-option {item!r} conflicts with an earlier option")
        node[leaf] = value
    return config


class RichFetchProgress:
    """A rich progress bar: one line over symbols, one over the current symbol's pages."""

    def __init__(self, progress: Progress, n_symbols: int) -> None:
        self.progress = progress
        self.overall: TaskID = progress.add_task("symbols", total=n_symbols)
        self.pages: TaskID | None = None

    def start_symbol(self, asset: str, pages: int) -> None:
        self.pages = self.progress.add_task(f"{asset} pages", total=pages or None)

    def page(self, asset: str, rows: int) -> None:
        if self.pages is not None:
            self.progress.advance(self.pages)

    def end_symbol(self, asset: str) -> None:
        if self.pages is not None:
            task = self.progress.tasks[self.pages]
            self.progress.update(self.pages, total=task.completed, visible=False)
        self.progress.advance(self.overall)


def _when(ts: pd.Timestamp | None) -> str:
    if ts is None:
        return "-"
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def print_report(report: FetchReport) -> None:
    """Summary table: rows added per symbol, changed values, stored range."""
    table = Table(title=f"{report.dataset} in {report.data_dir}")
    for col in ("symbol", "market", "added", "changed", "stored", "first", "last"):
        table.add_column(col, justify="right" if col in {"added", "changed", "stored"} else "left")
    for s in report.symbols:
        table.add_row(
            s.asset,
            s.market,
            f"{s.rows_added:,}",
            f"{s.values_changed:,}",
            f"{s.rows_stored:,}",
            _when(s.first),
            _when(s.last),
        )
    console.print(table)
    for s in report.symbols:
        if not s.ranges_requested:
            console.print(f"{s.asset}: already stored for the whole range, nothing downloaded")
        elif s.rows_stored == 0:
            console.print(f"[yellow]{s.asset}: the source has no candles in the range[/]")
        if s.placeholders_skipped:
            console.print(
                f"{s.asset}: left out {s.placeholders_skipped} placeholder candle(s) with zero "
                "prices (before the coin traded)"
            )
    if not report.conflicts.empty:
        console.print(
            f"[yellow]{len(report.conflicts)} re-fetched value(s) differed from the stored ones; "
            f"the new values were kept, see {escape(str(report.data_dir / report.dataset / 'conflicts.csv'))}[/]"
        )
    console.print(
        f"Load it with: cryptofolio.data.load_dataset({report.dataset!r}) "
        f"or --dataset {report.dataset}"
    )


SourceArg = Annotated[
    str,
    typer.Argument(
        help="A ccxt exchange id (binance, bybit, kraken, ...), 'cryptocompare' or 'yahoo'.",
        show_default=False,
    ),
]

QuoteOpt = Annotated[
    str | None,
    typer.Option(
        "--quote", help="Quote currency for assets (default USDT; USD for cryptocompare/yahoo)."
    ),
]

ExchangeOptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exchange-option",
        help="ccxt setting KEY=VALUE (repeatable; dots nest: options.defaultType=spot).",
    ),
]


class FetchFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FetchFormatOpt = Annotated[
    FetchFormat,
    typer.Option("--format", help="table (readable), json, or csv (one row per asset)."),
]


def report_records(report: FetchReport) -> list[dict[str, Any]]:
    """One record per asset of the fetch (times as ISO text, ``None`` where none)."""
    return [
        {
            "asset": s.asset,
            "market": s.market,
            "added": s.rows_added,
            "changed": s.values_changed,
            "stored": s.rows_stored,
            "first": None if s.first is None else s.first.isoformat(),
            "last": None if s.last is None else s.last.isoformat(),
            "downloaded": bool(s.ranges_requested),
            "placeholders_skipped": s.placeholders_skipped,
        }
        for s in report.symbols
    ]


def report_json(report: FetchReport) -> dict[str, Any]:
    """The ``data fetch --format json`` document."""
    return {
        "dataset": report.dataset,
        "data_dir": str(report.data_dir),
        "timeframe": report.timeframe,
        "start": report.span.start.isoformat(),
        "end": report.span.end.isoformat(),
        "assets": report_records(report),
        "values_changed": len(report.conflicts),
    }


def _show_lock_waits(original: Any) -> Any:
    """A ``warnings.showwarning`` that prints lock waits as one console line."""
    from cryptofolio.locks import LockWaitWarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, LockWaitWarning):
            console.print(f"[yellow]{escape(message)}[/]", highlight=False)
        else:
            original(message, category, *args, **kwargs)

    return show


@handle_errors
@with_candle_options
@with_policy_options
@with_former_names
def fetch_command(
    source: SourceArg,
    *,
    candles: CandleRequest,
    quote: QuoteOpt = None,
    data_dir: DataDirOpt = None,
    exchange_option: ExchangeOptionOpt = None,
    output_format: FetchFormatOpt = FetchFormat.TABLE,
    policy: StorePolicy,
    former: FormerNames,
) -> None:
    """Fetch OHLCV candles into the local store (dataset SOURCE-TIMEFRAME, e.g. binance-1d).

    Only what the store does not hold yet is downloaded; requests are rate-limited and retried with backoff. Public data only: no API key is needed (CryptoCompare reads an optional CRYPTOCOMPARE_API_KEY from the environment).

    Example:

      cryptofolio data fetch binance --assets BTC,ETH --timeframe 1d --start 2021-01-01

      cryptofolio data fetch bybit --assets BTC/USDT --timeframe 1h --start 2021-01-01 --end 2021-01-03

      cryptofolio data fetch cryptocompare --assets BTC --start 2021-01-01 --end 2021-02-28

    (--symbols, --since and --until are the former names of --assets, --start and --end.)

    Every candle is checked before it is stored; invalid ones stop the fetch and are logged in
    the dataset's rejected.csv. A second fetch into the same dataset waits for the first (or,
    with --no-wait, fails at once).
    """
    from cryptofolio.data import sources  # imported here: ccxt is slow to import
    from cryptofolio.data.store import StoreConflictWarning
    from cryptofolio.output_paths import check_output_dir

    if data_dir is not None:  # before any download
        check_output_dir(data_dir, "--data-dir")
    candles = candles.under(former)
    wanted = split_symbols(candles.assets or "")
    options = parse_exchange_options(exchange_option)
    key = source.strip().lower()
    if options and key in sources.NAMED_SOURCES:
        raise DataError(f"--exchange-option applies to ccxt exchanges, not to {key}")
    src = sources.make_source(key, quote=quote, exchange_options=options or None)
    with (
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", StoreConflictWarning)  # reported below instead
        warnings.showwarning = _show_lock_waits(warnings.showwarning)
        report = sources.fetch_to_store(
            src,
            wanted,
            candles.timeframe,
            candles.start or "",
            candles.end,
            data_dir=Path(data_dir) if data_dir is not None else None,
            progress=RichFetchProgress(bar, len(wanted)),
            policy=policy.fetch_policy(),
        )
    if output_format is FetchFormat.JSON:
        typer.echo(json.dumps(report_json(report), indent=2))
    elif output_format is FetchFormat.CSV:
        echo_csv(report_records(report))
    else:
        print_report(report)


def split_symbols(text: str) -> list[str]:
    """Split ``BTC/USDT,eth`` into ``["BTC/USDT", "ETH"]``, keeping markets as given."""
    items = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not items:
        raise DataError("no assets given; pass e.g. --assets BTC,ETH")
    return items
