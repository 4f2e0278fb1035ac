"""``cryptofolio data ...``: list, quality, fetch and sql.

:func:`data_summary` prints the coverage and quality summary of the bundled daily data (the
first section of ``cryptofolio demo``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.data_sql_cmd import sql_command
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.fetch_cmd import fetch_command
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import DataDirOpt, EndOpt, StartOpt, aliased
from cryptofolio.data import (
    BUNDLED,
    DEFAULT_DATASET,
    list_datasets,
    load_dataset,
    load_market_data,
    parse_symbols,
)
from cryptofolio.data.quality import QualityReport, format_time, quality_report
from cryptofolio.data.symbols import is_stablecoin

data_app = typer.Typer(
    name="data",
    help="Datasets: list what is available (and where the store is), check quality, fetch "
    "from exchanges and APIs, query them with SQL.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    """How a command prints its result."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="table (readable), json (for scripts) or csv (the main table).",
        case_sensitive=False,
    ),
]


def _console() -> Console:
    """Standard-output console; wide enough for the tables when the output is not a terminal."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


def _symbols_text(symbols: tuple[str, ...] | list[str], limit: int = 14) -> str:
    shown = ", ".join(symbols[:limit])
    more = len(symbols) - limit
    return f"{len(symbols)}: {shown}" + (f" ... (+{more})" if more > 0 else "")


@data_app.command("list")
@handle_errors
def list_command(
    data_dir: DataDirOpt = None,
    output: FormatOpt = OutputFormat.TABLE,
) -> None:
    """List bundled and locally stored datasets with symbols, frequency and date range, and
    say where the local store is (--data-dir, else $CRYPTOFOLIO_DATA_DIR, else the user cache
    folder). Query them with `cryptofolio data sql`.

    Example:

      cryptofolio data list

      cryptofolio data list --format json
    """
    from cryptofolio.data.sql import dataset_tables
    from cryptofolio.data.store import resolve_data_dir

    infos = list_datasets(data_dir)
    store = resolve_data_dir(data_dir)
    paths = {
        t.name: t.files[0] if t.origin == "bundled" else t.files[0].parent
        for t in dataset_tables(data_dir)
    }
    console = _console()
    if output is not OutputFormat.TABLE:
        payload = [
            {
                "name": i.name,
                "origin": i.origin,
                "frequency": i.frequency,
                "symbols": list(i.symbols),
                "start": None if pd.isna(i.start) else i.start.isoformat(),
                "end": None if pd.isna(i.end) else i.end.isoformat(),
                "rows": i.rows,
                "description": i.description,
                "path": str(paths.get(i.name, "")),
                "broken_files": [
                    {"path": str(b.path), "error": b.error, "repair": b.repair} for b in i.broken
                ],
            }
            for i in infos
        ]
        if output is OutputFormat.CSV:
            echo_csv({**r, "broken_files": len(r["broken_files"])} for r in payload)
        else:
            typer.echo(json.dumps(payload, indent=2))
        return
    table = Table(title="Datasets", show_lines=True)
    for col in ("name", "origin", "freq", "first", "last", "rows", "symbols"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for info in infos:
        mark = f" [red]+ {len(info.broken)} broken file(s), see below[/]" if info.broken else ""
        table.add_row(
            info.name,
            info.origin,
            info.frequency,
            "-" if pd.isna(info.start) else format_time(info.start, info.frequency),
            "-" if pd.isna(info.end) else format_time(info.end, info.frequency),
            f"{info.rows:,}",
            Text(_symbols_text(info.symbols)) + Text.from_markup(mark),
        )
    console.print(table)
    for info in infos:
        for broken in info.broken:
            console.print(
                Text(f"{info.name}: {broken.path} cannot be read ({broken.error}); repair: ")
                + Text(broken.repair, style="bold"),
                style="red",
            )
    console.print(store_line(store, sum(i.origin == "store" for i in infos)), highlight=False)


def store_line(store: Path, stored: int) -> str:
    """Where the local store is, and how to move it or query it."""
    state = (
        f"{stored} dataset(s)"
        if stored
        else ("empty" if store.is_dir() else "not created yet: `cryptofolio data fetch` fills it")
    )
    return (
        f"Local store: {store} ({state}; set with --data-dir or $CRYPTOFOLIO_DATA_DIR). "
        'Query any dataset with SQL: cryptofolio data sql "SELECT ..."'
    )


def _cell(value: int, text: str | None = None, style: str = "yellow") -> Text:
    """A count, highlighted when non-zero."""
    shown = text if text is not None else str(value)
    return Text(shown, style=style) if value else Text(shown, style="dim")


def quality_table(report: QualityReport, title: str = "Data quality") -> Table:
    """Per-symbol quality table with the defects highlighted (a rich :class:`Table`)."""
    f = report.frequency
    table = Table(title=title, header_style="bold")
    columns = (
        ("symbol", "left"),
        ("first", "left"),
        ("last", "left"),
        ("rows", "right"),
        ("missing (longest)", "right"),
        ("dup", "right"),
        ("bad close", "right"),
        ("mcap=0", "right"),
        ("vol=0", "right"),
        ("stale (longest)", "right"),
        ("jumps", "right"),
        ("largest move", "right"),
        ("junk before", "left"),
        ("off-snap", "right"),
        ("note", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name == "note")  # type: ignore[arg-type]
    for sym, r in report.table.iterrows():
        junk = r["listing_junk_before"]
        big = abs(r["largest_jump"]) > report.thresholds.jump_threshold
        notes = []
        if r["near_constant"]:
            notes.append("near-constant")
        if is_stablecoin(str(sym)):
            notes.append("stablecoin")
        move = (
            f"{r['largest_jump']:+,.0%} {format_time(r['largest_jump_at'], f)}"
            if pd.notna(r["largest_jump"])
            else ""
        )
        table.add_row(
            Text(str(sym), style="bold red" if pd.notna(junk) else "bold"),
            format_time(r["first"], f),
            format_time(r["last"], f),
            f"{r['rows']:,}",
            _cell(r["missing"], f"{r['missing']} ({r['longest_gap']})" if r["missing"] else "0"),
            _cell(r["duplicates"], style="red"),
            _cell(r["nonpositive_close"] + r["nan_close"], style="red"),
            _cell(r["zero_market_cap"]),
            _cell(r["zero_volume"]),
            _cell(
                r["stale_runs"],
                f"{r['stale_runs']} ({r['longest_stale_run']})" if r["stale_runs"] else "0",
            ),
            _cell(r["jumps"]),
            Text(move, style="yellow" if big else ""),
            Text(format_time(junk, f), style="bold red") if pd.notna(junk) else Text(""),
            _cell(r["off_snapshot"] + r["off_grid"]),
            ", ".join(notes),
        )
    return table


def print_findings(console: Console, report: QualityReport) -> None:
    """Print the report's findings as a short list in words."""
    findings = report.findings()
    if not findings:
        console.print("[green]No defects found.[/]")
        return
    console.print("[bold]Findings[/]")
    for finding in findings:
        console.print(f"  • {escape(finding.message)}", highlight=False)


@dataclass(frozen=True)
class QualityRows:
    """The rows ``data quality`` checks: a prices file instead of the dataset, the assets
    (comma-separated text) and the dates (UTC text)."""

    prices: Path | None = None
    assets: str | None = None
    start: str | None = None
    end: str | None = None


with_quality_rows = with_option_group(
    "rows",
    [
        keyword_option(
            "prices",
            Annotated[
                Path | None,
                typer.Option(
                    "--prices", help="Check a CSV/Parquet price file instead of a dataset."
                ),
            ],
            None,
        ),
        keyword_option(
            "assets",
            Annotated[
                str | None,
                typer.Option("--assets", help="Comma-separated assets, e.g. BTC,ETH,SHIB."),
            ],
            None,
        ),
        keyword_option("start", StartOpt, None),
        keyword_option("end", EndOpt, None),
    ],
    lambda values: QualityRows(**values),
    what="data",
    config_file=False,
)


@data_app.command("quality")
@handle_errors
@with_quality_rows
def quality_command(
    dataset: Annotated[
        str | None,
        typer.Argument(
            help="Dataset to check (see `cryptofolio data list`); default coingecko-daily."
        ),
    ] = None,
    *,
    rows: QualityRows,
    frequency: Annotated[
        str | None,
        typer.Option("--frequency", help="Period of the data (1d, 1h, ...); inferred if omitted."),
    ] = None,
    data_dir: DataDirOpt = None,
    output: FormatOpt = OutputFormat.TABLE,
    symbols: Annotated[str | None, typer.Option("--symbols", hidden=True)] = None,
) -> None:
    """Report data quality per symbol: gaps, duplicates, bad prices, zero market caps and
    volumes, stale closes, suspicious jumps and pre-listing junk. Nothing is changed.

    Example:

      cryptofolio data quality coingecko-daily

      cryptofolio data quality binance-hourly --assets BTC,ETH --format json

      cryptofolio data quality --prices my_prices.csv
    """
    prices = rows.prices
    if dataset is None and prices is None:
        dataset = DEFAULT_DATASET
    from cryptofolio.cli.optimize_views import reported_warnings

    with reported_warnings() as warned:  # symbols of a --prices file read as assets
        long = load_market_data(
            dataset,
            prices,
            symbols=parse_symbols(aliased(rows.assets, symbols, "--assets", "--symbols")),
            start=rows.start,
            end=rows.end,
            data_dir=data_dir,
        )
    report = quality_report(long, frequency)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps({**report.to_dict(), "warnings": warned}, indent=2))
        return
    if output is OutputFormat.CSV:  # one row per symbol; the findings are in the JSON
        echo_csv(report.to_dict()["symbols"])
        return
    console = _console()
    name = str(prices) if prices is not None else str(dataset)
    console.print(quality_table(report, title=f"Data quality: {name} ({report.frequency})"))
    print_findings(console, report)


def _coverage_table(report: QualityReport) -> Table:
    """Symbols grouped by their last date (the ragged end of the panel)."""
    t = report.table
    table = Table(title="Coverage (the panel is ragged: coins start and stop on different dates)")
    for col in ("last date", "symbols", "first dates"):
        table.add_column(col)
    last_day = t["last"].dt.normalize()
    for day, group in sorted(t.groupby(last_day), key=lambda kv: kv[0], reverse=True):
        table.add_row(
            format_time(day, "1d"),
            _symbols_text(list(group.index), limit=40),
            f"{format_time(group['first'].min(), '1d')} to {format_time(group['first'].max(), '1d')}",
        )
    return table


def data_summary(console: Console | None = None, dataset: str = DEFAULT_DATASET) -> QualityReport:
    """Print a coverage and quality summary of a bundled dataset (default: the daily one).

    This is the first section of ``cryptofolio demo``. Returns the quality report it printed.
    """
    console = console or _console()
    long = load_dataset(dataset)
    report = quality_report(long)
    t = report.table
    spec = BUNDLED.get(dataset)
    console.rule(f"[bold]Data: {dataset}")
    if spec is not None:
        console.print(spec.description, highlight=False, markup=False)
        console.print(f"[dim]{escape(spec.attribution)}[/]", highlight=False)
    console.print(
        f"{len(t)} symbols, {len(long):,} rows, frequency {report.frequency}, "
        f"{format_time(t['first'].min(), '1d')} to {format_time(t['last'].max(), '1d')}.",
        highlight=False,
    )
    console.print(_coverage_table(report))
    affected = report.defect_counts()
    checks = Table(title="Quality checks (symbols affected)")
    checks.add_column("check")
    checks.add_column("symbols", justify="right")
    for check, n in affected.items():
        checks.add_row(str(check), str(n))
    console.print(checks)
    print_findings(console, report)
    console.print(
        "[dim]Nothing above has been changed: choose a cleaning policy explicitly "
        "(cryptofolio.data.cleaning.clean, presets none/basic/standard/strict).[/]"
    )
    return report


data_app.command("fetch")(fetch_command)
data_app.command("sql")(sql_command)


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio data`` to ``app``."""
    app.add_typer(data_app)
