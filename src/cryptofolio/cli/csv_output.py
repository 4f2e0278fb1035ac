"""``--format csv``: the main table of a command's result as CSV on stdout.

Every command that prints a result offers ``--format table|json|csv``; CSV is the one table a
spreadsheet or ``pandas.read_csv`` wants (the weights, the metrics per strategy, the orders...),
built from the same records as the JSON document so the two cannot disagree.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

import typer


def _flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list | tuple):
            if all(not isinstance(v, Mapping | list | tuple) for v in value):
                out[name] = ";".join(str(v) for v in value)
            else:
                out[name] = json.dumps(value, default=str)
        else:
            out[name] = "" if value is None else value
    return out


def records_csv(records: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of ``records``: one row each, the columns in the order first seen; a nested
    mapping becomes columns ``KEY.SUBKEY`` (``weights.BTC``), a list of plain values its items
    joined by ``;``, ``None`` an empty cell."""
    rows = [_flat(r) for r in records]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def echo_csv(records: Iterable[Mapping[str, Any]]) -> None:
    """Print :func:`records_csv` of ``records`` on stdout."""
    typer.echo(records_csv(records), nl=False)


def keyed_records(table: Mapping[str, Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    """``{name: {field: value}}`` (a JSON document's table) as records with ``key`` = name."""
    return [{key: name, **row} for name, row in table.items()]
