"""``cryptofolio data sql "SELECT ..."``: DuckDB over the datasets (bundled and stored), the
library's :func:`cryptofolio.data.sql.query_datasets`, printed as a table, JSON or CSV."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.options import DataDirOpt

TABLE_ROWS = 50  # rows shown by --format table; json and csv print them all


class SqlFormat(StrEnum):
    """How ``data sql`` prints the result."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@handle_errors
def sql_command(
    query: Annotated[
        str,
        typer.Argument(
            help="The query (DuckDB SQL). Tables: the dataset names of `data list`, quoted "
            '("coingecko-daily") or with underscores (coingecko_daily).'
        ),
    ],
    data_dir: DataDirOpt = None,
    output: Annotated[
        SqlFormat,
        typer.Option(
            "--format",
            help=f"table (the first {TABLE_ROWS} rows), json (records) or csv (all rows).",
            case_sensitive=False,
        ),
    ] = SqlFormat.TABLE,
) -> None:
    """Run a SQL query (DuckDB) over the bundled and locally stored datasets.

    Needs DuckDB: the sql extra of cryptofolio, or pip install duckdb.

    Examples:

      cryptofolio data sql "SELECT symbol, min(timestamp) AS first, count(*) AS days FROM coingecko_daily GROUP BY symbol ORDER BY first LIMIT 5"

      cryptofolio data sql "SELECT * FROM \\"binance-hourly\\" WHERE symbol = 'BTC' LIMIT 3" --format csv
    """
    from cryptofolio.data.sql import query_datasets

    frame = query_datasets(query, data_dir)
    if output is SqlFormat.CSV:
        typer.echo(frame.to_csv(index=False), nl=False)
        return
    if output is SqlFormat.JSON:
        typer.echo(
            json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
        )
        return
    probe = Console()
    console = probe if probe.is_terminal else Console(width=200)
    table = Table(show_lines=False)
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.head(TABLE_ROWS).itertuples(index=False):
        table.add_row(*("" if v is None else str(v) for v in row))
    more = len(frame) - TABLE_ROWS
    table.caption = f"{len(frame)} rows" + (
        f"; first {TABLE_ROWS} shown (--format csv prints all)" if more > 0 else ""
    )
    console.print(table)
