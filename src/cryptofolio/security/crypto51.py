"""crypto51's attack-cost table: read a user CSV in its format, or parse the HTML table of a
saved crypto51.app page, into numbers with explicit units.

The table has the columns ``Name, Symbol, Algorithm, Market Cap, Hash Rate, 1h Attack Cost,
NiceHash-able`` (any order), written as the site shows them: ``$20.49 B`` (market cap, USD
with a K/M/B/T suffix), ``190,553 PH/s`` (hash rate with an H/s or Sol/s unit and an SI
prefix), ``$1,234,567`` (USD per hour; ``?`` when the site has no price), ``250%``
(NiceHash-able: the rentable hash over the network's; above 100 % the whole network can be
rented). A value without its unit is refused: a bare number is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from cryptofolio.errors import SecurityError

CRYPTO51_COLUMNS = (
    "Name",
    "Symbol",
    "Algorithm",
    "Market Cap",
    "Hash Rate",
    "1h Attack Cost",
    "NiceHash-able",
)
_MONEY_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_SI = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21}
_MONEY = re.compile(r"^\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([KMBT]?)$", re.IGNORECASE)
_HASH = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*([KMGTPEZ]?)(H|Sol)/s$", re.IGNORECASE)
_PERCENT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*%$")
_MISSING = {"?", "-", ""}


@dataclass(frozen=True)
class Crypto51Snapshot:
    """A crypto51 table in numbers.

    Attributes
    ----------
    table
        Index ``symbol``; columns ``name``, ``algorithm``, ``market_cap_usd``,
        ``hash_rate_hs`` (hashes, or solutions, per second), ``attack_cost_usd_per_hour``
        (NaN where the site shows ``?``) and ``nicehash_fraction`` (1.0 = 100 %).
    as_of
        The UTC day the table describes, or ``None`` (then the screen takes it as of its own
        date and says so).
    source
        Where it was read from (for messages).
    """

    table: pd.DataFrame
    as_of: pd.Timestamp | None = None
    source: str = "crypto51 table"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_money(text: str, column: str = "value", where: str = "") -> float:
    """``$20.49 B`` -> 2.049e10 (USD); ``?``/``-``/empty -> NaN."""
    t = str(text).strip()
    if t in _MISSING:
        return float("nan")
    m = _MONEY.match(t)
    if not m:
        raise SecurityError(
            f"{column} {t!r}{where} is not a USD amount like '$20.49 B' or '$1,234,567' "
            "(a $ sign, a number, an optional K/M/B/T suffix)"
        )
    return _number(m.group(1)) * _MONEY_SUFFIX[m.group(2).upper()]


def parse_hash_rate(text: str, column: str = "Hash Rate", where: str = "") -> float:
    """``190,553 PH/s`` -> 1.90553e20 (per second); a bare number is refused."""
    t = str(text).strip()
    m = _HASH.match(t)
    if not m:
        raise SecurityError(
            f"{column} {t!r}{where} needs a unit like '190,553 PH/s' (H/s or Sol/s with a "
            "K/M/G/T/P/E prefix): hash rates without a unit cannot be compared"
        )
    return _number(m.group(1)) * _SI[m.group(2).upper()]


def parse_percent(text: str, column: str = "NiceHash-able", where: str = "") -> float:
    """``250%`` -> 2.5 (a fraction); ``?``/``-`` -> NaN; a bare number is refused."""
    t = str(text).strip()
    if t in _MISSING:
        return float("nan")
    m = _PERCENT.match(t)
    if not m:
        raise SecurityError(f"{column} {t!r}{where} is not a percentage like '250%'")
    return _number(m.group(1)) / 100.0


def crypto51_from_frame(
    raw: pd.DataFrame, as_of: str | pd.Timestamp | None = None, source: str = "crypto51 table"
) -> Crypto51Snapshot:
    """Convert a table of crypto51's text cells (columns :data:`CRYPTO51_COLUMNS`).

    Raises
    ------
    SecurityError
        Missing columns, an empty table, a duplicate symbol, or a cell without its unit.
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in CRYPTO51_COLUMNS if c not in raw.columns]
    if missing:
        raise SecurityError(
            f"{source}: missing column(s) {', '.join(missing)}; a crypto51 table has "
            f"{', '.join(CRYPTO51_COLUMNS)}"
        )
    if raw.empty:
        raise SecurityError(f"{source}: the table has no rows")
    records = []
    for i, row in enumerate(raw.to_dict("records")):
        symbol = str(row["Symbol"]).strip().upper()
        where = f" ({symbol}, row {i + 1} of {source})"
        if not symbol or symbol == "NAN":
            raise SecurityError(f"{source}: row {i + 1} has no Symbol")
        records.append(
            {
                "symbol": symbol,
                "name": str(row["Name"]).strip(),
                "algorithm": str(row["Algorithm"]).strip(),
                "market_cap_usd": parse_money(row["Market Cap"], "Market Cap", where),
                "hash_rate_hs": parse_hash_rate(row["Hash Rate"], "Hash Rate", where),
                "attack_cost_usd_per_hour": parse_money(
                    row["1h Attack Cost"], "1h Attack Cost", where
                ),
                "nicehash_fraction": parse_percent(row["NiceHash-able"], "NiceHash-able", where),
            }
        )
    table = pd.DataFrame.from_records(records).set_index("symbol")
    dup = table.index[table.index.duplicated()].unique().tolist()
    if dup:
        raise SecurityError(f"{source}: symbol(s) listed twice: {', '.join(dup)}")
    if as_of is not None:
        from cryptofolio.security.data import utc_day

        as_of = utc_day(as_of, "crypto51 date")
    return Crypto51Snapshot(table, as_of, source)


def read_crypto51_csv(
    path: str | Path, as_of: str | pd.Timestamp | None = None
) -> Crypto51Snapshot:
    """Read a CSV in crypto51's table format (see the module docs)."""
    path = Path(path)
    if not path.is_file():
        raise SecurityError(f"crypto51 file {path} does not exist")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise SecurityError(f"cannot read {path} as CSV: {exc}") from None
    return crypto51_from_frame(raw, as_of, source=path.name)


class _TableParser(HTMLParser):
    """Collect the text of every table's header and body cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self._depth += 1
        elif tag == "tr" and self._depth:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_crypto51_html(
    text: str, as_of: str | pd.Timestamp | None = None, source: str = "crypto51 page"
) -> Crypto51Snapshot:
    """Parse the attack-cost table of a saved crypto51.app page (the first table whose header
    row holds every column of :data:`CRYPTO51_COLUMNS`)."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    for rows in parser.tables:
        if rows and set(CRYPTO51_COLUMNS) <= set(rows[0]):
            header, body = rows[0], rows[1:]
            width = len(header)
            bad = [i + 2 for i, r in enumerate(body) if len(r) != width]
            if bad:
                raise SecurityError(
                    f"{source}: row(s) {bad[:5]} do not have the header's {width} cells"
                )
            return crypto51_from_frame(pd.DataFrame(body, columns=header), as_of, source)
    found = [rows[0] for rows in parser.tables if rows]
    raise SecurityError(
        f"{source}: no table with the columns {', '.join(CRYPTO51_COLUMNS)}"
        + (f" (tables found with headers {found[:3]})" if found else " (no table found)")
    )


def read_crypto51(path: str | Path, as_of: str | pd.Timestamp | None = None) -> Crypto51Snapshot:
    """Read a crypto51 table from a ``.csv`` file or a saved ``.html``/``.htm`` page."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        if not path.is_file():
            raise SecurityError(f"crypto51 page {path} does not exist")
        return parse_crypto51_html(path.read_text(encoding="utf-8"), as_of, source=path.name)
    return read_crypto51_csv(path, as_of)


__all__ = [
    "CRYPTO51_COLUMNS",
    "Crypto51Snapshot",
    "crypto51_from_frame",
    "parse_crypto51_html",
    "parse_hash_rate",
    "parse_money",
    "parse_percent",
    "read_crypto51",
    "read_crypto51_csv",
]
