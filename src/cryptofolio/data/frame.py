"""The tidy long frame every data source produces, and its validation.

Columns, in this order (extra columns such as ``snapped_at`` may follow):

``timestamp``
    ``datetime64[ns, UTC]``: start of the period (candle open time; CoinGecko's daily snapshot time).
``symbol``
    upper-case asset symbol (``BTC``).
``open, high, low, close``
    prices in the quote currency (USD/USDT); NaN where the source does not provide them.
``volume``
    traded volume in the quote currency over the period; NaN where unknown.
``market_cap``
    circulating market capitalisation in the quote currency; NaN where unknown.
"""

from __future__ import annotations

import pandas as pd

from cryptofolio.errors import DataError

LONG_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "symbol",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "market_cap",
)
VALUE_COLUMNS: tuple[str, ...] = LONG_COLUMNS[2:]


def to_utc(values: pd.Series | pd.Index, *, what: str = "timestamp") -> pd.DatetimeIndex:
    """Parse timestamps as UTC; naive timestamps are taken to be UTC already."""
    try:
        parsed = pd.to_datetime(values, utc=True)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot parse {what} values as dates: {exc}") from exc
    return pd.DatetimeIndex(parsed).as_unit("ns")


def standardize_long(frame: pd.DataFrame, *, source: str = "data") -> pd.DataFrame:
    """Return ``frame`` in the canonical long layout, sorted by symbol then timestamp.

    Missing value columns are added as NaN (they are unknown, not zero). Nothing is filled or dropped;
    duplicate (timestamp, symbol) rows are kept so that quality checks can report them.
    """
    missing = {"timestamp", "symbol", "close"} - set(frame.columns)
    if missing:
        raise DataError(
            f"{source}: missing required column(s) {sorted(missing)}; "
            f"a long frame needs timestamp, symbol and close (got {list(frame.columns)})"
        )
    out = frame.copy()
    out["timestamp"] = to_utc(out["timestamp"], what=f"{source} timestamp")
    out["symbol"] = out["symbol"].astype(str).str.strip().str.upper()
    for col in VALUE_COLUMNS:
        if col not in out.columns:
            out[col] = float("nan")
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
    extra = [c for c in out.columns if c not in LONG_COLUMNS]
    out = out[list(LONG_COLUMNS) + extra]
    return out.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)
