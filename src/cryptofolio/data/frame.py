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
        numeric = pd.to_numeric(out[col], errors="coerce")
        bad = numeric.isna() & out[col].notna()
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(
                f"{source}: {out[col].iloc[pos]!r} in column {col!r} is not a number "
                f"(row {pos + 1}: {out['symbol'].iloc[pos]} at {out['timestamp'].iloc[pos]})"
            )
        out[col] = numeric.astype("float64")
    extra = [c for c in out.columns if c not in LONG_COLUMNS]
    out = out[list(LONG_COLUMNS) + extra]
    return out.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)


#: Period labels (ccxt-style timeframes) recognised by :func:`infer_frequency`.
FREQUENCIES: dict[str, pd.Timedelta] = {
    label: pd.Timedelta(delta)
    for label, delta in (
        ("1m", "1min"),
        ("5m", "5min"),
        ("15m", "15min"),
        ("30m", "30min"),
        ("1h", "1h"),
        ("2h", "2h"),
        ("4h", "4h"),
        ("6h", "6h"),
        ("8h", "8h"),
        ("12h", "12h"),
        ("1d", "1D"),
        ("3d", "3D"),
        ("1w", "7D"),
    )
}


def frequency_delta(frequency: str) -> pd.Timedelta:
    """Return the period length of a frequency label such as ``"1d"`` or ``"1h"``."""
    try:
        return FREQUENCIES[frequency]
    except KeyError:
        raise DataError(
            f"unknown frequency {frequency!r}; use one of {', '.join(FREQUENCIES)}"
        ) from None


def infer_frequency(long: pd.DataFrame) -> str:
    """Infer the sampling frequency of a long frame from the most common spacing of timestamps.

    The most common positive step between consecutive timestamps of the same symbol is matched to
    the nearest label in :data:`FREQUENCIES` (gaps and off-grid snapshots do not change it).

    Raises
    ------
    DataError
        If no symbol has two distinct timestamps, or the spacing matches no known frequency.
    """
    ordered = long.sort_values(["symbol", "timestamp"], kind="stable")
    steps = ordered.groupby("symbol", sort=False)["timestamp"].diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        raise DataError(
            "cannot infer the data frequency: no symbol has two distinct timestamps; "
            "pass the frequency explicitly (e.g. frequency='1d')"
        )
    step = steps.mode().iloc[0]
    for label, delta in FREQUENCIES.items():
        if abs(step - delta) <= delta * 0.01:
            return label
    raise DataError(
        f"cannot infer the data frequency: the usual spacing is {step}, which matches none of "
        f"{', '.join(FREQUENCIES)}; pass the frequency explicitly"
    )
