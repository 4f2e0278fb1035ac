"""Data-quality report of a tidy long frame: every defect counted per symbol, nothing changed.

>>> from cryptofolio.data import load_dataset
>>> from cryptofolio.data.quality import quality_report
>>> report = quality_report(load_dataset("coingecko-daily"))
>>> report.table.loc["BNB", "listing_junk_before"]  # doctest: +SKIP
Timestamp('2017-10-30 00:00:00+0000', tz='UTC')

The checks (one column or group of columns of :attr:`QualityReport.table` each):

missing periods
    timestamps absent from the regular grid ``first, first + period, ..., last`` of the symbol:
    ``missing`` (count), ``longest_gap`` (periods) starting at ``longest_gap_start``.
duplicates
    ``duplicates``: rows repeating an earlier (timestamp, symbol).
bad prices
    ``nonpositive_close`` (close <= 0) and ``nan_close``.
market cap
    ``zero_market_cap``, ``nan_market_cap``, and ``leading_zero_market_cap``: rows at the start of
    the series whose market cap is 0 (pre-listing history, e.g. SAFEMOON, OHM, AR).
volume
    ``zero_volume``: periods with a volume of exactly 0 (exchange downtime, dead markets).
stale closes
    runs of two or more consecutive identical closes: ``stale_runs``, ``longest_stale_run`` (rows)
    starting at ``longest_stale_start``.
suspicious jumps
    simple returns between consecutive rows with ``|r| > jump_threshold``: ``jumps`` (count),
    ``largest_jump`` (signed fraction, 25.3 = +2,530 %) at ``largest_jump_at``.
listing junk
    ``listing_junk_before``: the first one-period jump of at least ``listing_jump_min`` (+200 %)
    whose previous ``window`` periods traded less than ``illiquid_ratio`` (1 %) of the median
    volume of the ``window`` periods from the jump on. Everything before it is pre-listing junk
    (BNB before 2017-10-30, SHIB before 2021-01-31); a real rally on a liquid market (DOGE
    +339 % on 2021-01-29) is not.
timing
    ``off_grid``: timestamps not on the period grid; ``off_snapshot``: rows whose ``snapped_at``
    (CoinGecko's real snapshot time, when present) differs from the timestamp.
near-constant series
    ``near_constant``: at least 95 % of closes within 5 % of their median (stablecoins): near-zero
    variance, which covariance estimators and min-variance optimisers must be ready for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.data.frame import frequency_delta, infer_frequency
from cryptofolio.errors import DataError


class Check(StrEnum):
    """The quality checks; each has a column (or columns) in :attr:`QualityReport.table`."""

    MISSING = "missing"
    DUPLICATES = "duplicates"
    NONPOSITIVE_CLOSE = "nonpositive_close"
    NAN_CLOSE = "nan_close"
    ZERO_MARKET_CAP = "zero_market_cap"
    NAN_MARKET_CAP = "nan_market_cap"
    LEADING_ZERO_MARKET_CAP = "leading_zero_market_cap"
    ZERO_VOLUME = "zero_volume"
    STALE = "stale_runs"
    JUMPS = "jumps"
    LISTING_JUNK = "listing_junk_before"
    OFF_GRID = "off_grid"
    OFF_SNAPSHOT = "off_snapshot"
    NEAR_CONSTANT = "near_constant"


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of the heuristic checks (returns as fractions: 0.5 = 50 %).

    Attributes
    ----------
    jump_threshold
        A one-period simple return with ``|r|`` above this is a suspicious jump.
    listing_jump_min
        Smallest one-period return (fraction; 2.0 = +200 %) that can mark the end of listing junk.
    illiquid_ratio
        The ``window`` periods before such a jump count as illiquid junk when their median
        volume is below this fraction of the median volume of the ``window`` periods from the
        jump on (market cap is used when the volume is unknown).
    window
        Periods compared on each side of a candidate listing jump.
    near_constant_band, near_constant_share
        A series is near-constant when at least ``near_constant_share`` of its closes lie
        within ``near_constant_band`` (relative) of their median.
    """

    jump_threshold: float = 0.5
    listing_jump_min: float = 2.0
    illiquid_ratio: float = 0.01
    window: int = 30
    near_constant_band: float = 0.05
    near_constant_share: float = 0.95


#: Columns of :attr:`QualityReport.table`, in order (index: ``symbol``).
TABLE_COLUMNS: tuple[str, ...] = (
    "first",
    "last",
    "rows",
    "missing",
    "longest_gap",
    "longest_gap_start",
    "duplicates",
    "nonpositive_close",
    "nan_close",
    "zero_market_cap",
    "nan_market_cap",
    "leading_zero_market_cap",
    "zero_volume",
    "stale_runs",
    "longest_stale_run",
    "longest_stale_start",
    "jumps",
    "largest_jump",
    "largest_jump_at",
    "listing_junk_before",
    "off_grid",
    "off_snapshot",
    "near_constant",
)

_TIME_COLUMNS = (
    "first",
    "last",
    "longest_gap_start",
    "longest_stale_start",
    "largest_jump_at",
    "listing_junk_before",
)


@dataclass(frozen=True)
class Finding:
    """One defect found in one or more symbols, in words."""

    check: Check
    symbols: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class QualityReport:
    """Result of :func:`quality_report`.

    Attributes
    ----------
    frequency
        Period label (``"1d"``, ``"1h"``) the grid checks used.
    table
        One row per symbol (index ``symbol``), columns :data:`TABLE_COLUMNS`; counts are rows or
        periods, returns are fractions, timestamps UTC (``NaT`` where not applicable).
    gaps
        Every run of missing periods: ``symbol, start, periods``.
    jumps
        Every suspicious jump: ``symbol, timestamp, ret`` (simple return, fraction).
    thresholds
        The thresholds used.
    """

    frequency: str
    table: pd.DataFrame
    gaps: pd.DataFrame
    jumps: pd.DataFrame
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    @property
    def symbols(self) -> list[str]:
        return list(self.table.index)

    def findings(self) -> list[Finding]:
        """The defects found, one :class:`Finding` per check, worst symbols first."""
        return _findings(self)

    def defect_counts(self) -> pd.Series:
        """Number of symbols affected by each check (checks with no defect are left out)."""
        counts = {f.check.value: len(f.symbols) for f in self.findings()}
        return pd.Series(counts, dtype="int64")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: frequency, per-symbol records, gaps, jumps and findings."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records", date_format="iso"))

        table = self.table.reset_index()
        return {
            "frequency": self.frequency,
            "symbols": records(table),
            "gaps": records(self.gaps),
            "jumps": records(self.jumps),
            "findings": [
                {"check": f.check.value, "symbols": list(f.symbols), "message": f.message}
                for f in self.findings()
            ],
        }


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of True in a boolean array."""
    if mask.size == 0:
        return np.array([], dtype=int), np.array([], dtype=int)
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.nonzero(edges == 1)[0]
    ends = np.nonzero(edges == -1)[0]
    return starts, ends - starts


def _median(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def _listing_cutoff(
    close: np.ndarray,
    volume: np.ndarray,
    market_cap: np.ndarray,
    rets: np.ndarray,
    th: QualityThresholds,
) -> int | None:
    """Row position of the first listing jump (see the module docstring), or None."""
    for i in np.nonzero(rets >= th.listing_jump_min)[0] + 1:
        lo, hi = max(0, i - th.window), i + th.window
        for liquidity in (volume, market_cap):
            before, after = _median(liquidity[lo:i]), _median(liquidity[i:hi])
            if np.isfinite(before) and np.isfinite(after) and after > 0:
                if before < th.illiquid_ratio * after:
                    return int(i)
                break  # the volume decided: do not fall back to the market cap
    return None


def _symbol_quality(
    sym: str,
    g: pd.DataFrame,
    step: pd.Timedelta,
    th: QualityThresholds,
    gaps: list[tuple[str, pd.Timestamp, int]],
    jumps: list[tuple[str, pd.Timestamp, float]],
) -> dict[str, Any]:
    """One row of the report's table: every check of symbol ``sym``'s rows ``g``; its gaps
    and jumps are appended to ``gaps`` and ``jumps``."""
    ts = pd.DatetimeIndex(g["timestamp"])
    close = g["close"].to_numpy(dtype="float64")
    volume = g["volume"].to_numpy(dtype="float64")
    mcap = g["market_cap"].to_numpy(dtype="float64")
    row: dict[str, Any] = {"first": ts.min(), "last": ts.max(), "rows": len(g)}
    row |= _grid_checks(sym, ts, step, gaps)
    row |= _count_checks(ts, close, volume, mcap)
    row |= _stale_checks(ts, close)
    row |= _jump_checks(sym, ts, (close, volume, mcap), th, jumps)
    if "snapped_at" in g.columns:
        snapped = pd.to_datetime(g["snapped_at"], utc=True)
        row["off_snapshot"] = int((snapped.notna() & (snapped != g["timestamp"])).sum())
    else:
        row["off_snapshot"] = 0
    finite = close[np.isfinite(close)]
    if finite.size:
        med = np.median(finite)
        share = np.mean(np.abs(finite / med - 1.0) <= th.near_constant_band) if med > 0 else 0.0
        row["near_constant"] = bool(share >= th.near_constant_share)
    else:
        row["near_constant"] = False
    return row


def _grid_checks(
    sym: str, ts: pd.DatetimeIndex, step: pd.Timedelta, gaps: list[tuple[str, pd.Timestamp, int]]
) -> dict[str, Any]:
    """The regular grid: missing periods (each gap appended to ``gaps``) and off-grid rows."""
    row: dict[str, Any] = {}
    uniq = ts.unique().sort_values()
    offset = (uniq - uniq[0]) % step
    on_grid = uniq[offset == pd.Timedelta(0)]
    row["off_grid"] = int((offset != pd.Timedelta(0)).sum())
    steps = (
        np.rint(((on_grid[1:] - on_grid[:-1]) / step).to_numpy(dtype="float64")).astype("int64")
        if len(on_grid) > 1
        else np.array([], dtype="int64")
    )
    gap_pos = np.nonzero(steps > 1)[0]
    gap_len = steps[gap_pos] - 1
    for pos, n in zip(gap_pos, gap_len, strict=True):
        gaps.append((sym, on_grid[pos] + step, int(n)))
    row["missing"] = int(gap_len.sum())
    if gap_len.size:
        k = int(np.argmax(gap_len))
        row["longest_gap"] = int(gap_len[k])
        row["longest_gap_start"] = on_grid[gap_pos[k]] + step
    else:
        row["longest_gap"], row["longest_gap_start"] = 0, pd.NaT
    return row


def _count_checks(
    ts: pd.DatetimeIndex, close: np.ndarray, volume: np.ndarray, mcap: np.ndarray
) -> dict[str, Any]:
    """Counts of bad rows: duplicate timestamps, bad closes, missing market caps, no volume."""
    lead_starts, lead_lens = _runs(mcap == 0)
    return {
        "duplicates": int(ts.duplicated().sum()),
        "nonpositive_close": int((close <= 0).sum()),
        "nan_close": int(np.isnan(close).sum()),
        "zero_market_cap": int((mcap == 0).sum()),
        "nan_market_cap": int(np.isnan(mcap).sum()) if np.isfinite(mcap).any() else 0,
        "leading_zero_market_cap": (
            int(lead_lens[0]) if lead_starts.size and lead_starts[0] == 0 else 0
        ),
        "zero_volume": int((volume == 0).sum()),
    }


def _stale_checks(ts: pd.DatetimeIndex, close: np.ndarray) -> dict[str, Any]:
    """Stale runs: consecutive identical (finite) closes."""
    same = np.isfinite(close[1:]) & (close[1:] == close[:-1])
    starts, lens = _runs(same)
    row: dict[str, Any] = {"stale_runs": int(starts.size)}
    if starts.size:
        k = int(np.argmax(lens))
        row["longest_stale_run"] = int(lens[k]) + 1  # rows, not repeats
        row["longest_stale_start"] = ts[starts[k]]
    else:
        row["longest_stale_run"], row["longest_stale_start"] = 0, pd.NaT
    return row


def _jump_checks(
    sym: str,
    ts: pd.DatetimeIndex,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    th: QualityThresholds,
    jumps: list[tuple[str, pd.Timestamp, float]],
) -> dict[str, Any]:
    """Jumps between consecutive rows with a valid price (each appended to ``jumps``) and the
    end of pre-listing junk; ``columns``: close, volume and market cap."""
    close, volume, mcap = columns
    valid = np.isfinite(close) & (close > 0)
    vc, vts = close[valid], ts[valid]
    rets = vc[1:] / vc[:-1] - 1.0 if vc.size > 1 else np.array([])
    big = np.nonzero(np.abs(rets) > th.jump_threshold)[0]
    for j in big:
        jumps.append((sym, vts[j + 1], float(rets[j])))
    row: dict[str, Any] = {"jumps": int(big.size)}
    if rets.size:
        k = int(np.argmax(np.abs(rets)))
        row["largest_jump"], row["largest_jump_at"] = float(rets[k]), vts[k + 1]
    else:
        row["largest_jump"], row["largest_jump_at"] = float("nan"), pd.NaT
    cut = _listing_cutoff(vc, volume[valid], mcap[valid], rets, th)
    row["listing_junk_before"] = vts[cut] if cut is not None else pd.NaT
    return row


def quality_report(
    long: pd.DataFrame,
    frequency: str | None = None,
    *,
    thresholds: QualityThresholds | None = None,
) -> QualityReport:
    """Check a tidy long frame for every known kind of defect, per symbol; change nothing.

    Parameters
    ----------
    long
        Long frame as returned by :func:`cryptofolio.data.load_dataset` (an extra
        ``snapped_at`` column, as in ``coingecko-daily``, enables the snapshot-time check).
    frequency
        Period label (``"1d"``, ``"1h"``, ...); inferred from the timestamps when omitted.
    thresholds
        Thresholds of the heuristic checks (see :class:`QualityThresholds`).

    Returns
    -------
    QualityReport
        Per-symbol table, the list of gaps and jumps, and :meth:`QualityReport.findings`.
    """
    if long.empty:
        raise DataError("cannot check the quality of an empty frame: it has no rows")
    missing = {"timestamp", "symbol", "close"} - set(long.columns)
    if missing:
        raise DataError(f"not a long frame: missing column(s) {sorted(missing)}")
    th = thresholds or QualityThresholds()
    freq = frequency or infer_frequency(long)
    step = frequency_delta(freq)
    frame = long.copy()
    for col in ("volume", "market_cap"):
        if col not in frame.columns:
            frame[col] = np.nan
    frame = frame.sort_values(["symbol", "timestamp"], kind="stable")
    gaps: list[tuple[str, pd.Timestamp, int]] = []
    jumps: list[tuple[str, pd.Timestamp, float]] = []
    rows = {
        str(sym): _symbol_quality(str(sym), g, step, th, gaps, jumps)
        for sym, g in frame.groupby("symbol", sort=True)
    }
    table = pd.DataFrame.from_dict(rows, orient="index")[list(TABLE_COLUMNS)]
    table.index.name = "symbol"
    for col in _TIME_COLUMNS:
        table[col] = pd.to_datetime(table[col], utc=True)
    table["near_constant"] = table["near_constant"].astype(bool)
    gap_frame = pd.DataFrame(gaps, columns=["symbol", "start", "periods"])
    gap_frame["start"] = pd.to_datetime(gap_frame["start"], utc=True)
    jump_frame = pd.DataFrame(jumps, columns=["symbol", "timestamp", "ret"])
    jump_frame["timestamp"] = pd.to_datetime(jump_frame["timestamp"], utc=True)
    return QualityReport(
        frequency=freq, table=table, gaps=gap_frame, jumps=jump_frame, thresholds=th
    )


def format_time(value: Any, frequency: str) -> str:
    """A timestamp as text: the date alone for daily (or slower) data, else date and time."""
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    try:
        daily = frequency_delta(frequency) >= pd.Timedelta("1D")
    except DataError:  # unknown label (e.g. a stored dataset's): show the time unless midnight
        daily = True
    if daily and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M")


def _list(items: list[str], limit: int = 8) -> str:
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def _findings(report: QualityReport) -> list[Finding]:
    """The report's findings, one per check that any symbol fails, in the order of
    :class:`Check` as the report lists them."""
    t, f = report.table, report.frequency
    unit = "day" if f == "1d" else ("hour" if f == "1h" else f"{f} period")
    out: list[Finding] = []
    junk = t[t["listing_junk_before"].notna()]
    if not junk.empty:
        parts = [
            f"{s} before {format_time(r['listing_junk_before'], f)}"
            for s, r in junk.sort_values("listing_junk_before").iterrows()
        ]
        out.append(
            Finding(
                Check.LISTING_JUNK,
                tuple(junk.index),
                "pre-listing junk (illiquid history ending in a one-period listing jump): "
                + _list(parts),
            )
        )
    describe = _describers(f)
    for check, col, text in _counted_checks(unit, report.thresholds):
        hit = t[t[col] > 0] if t[col].dtype != bool else t[t[col]]
        if hit.empty:
            continue
        if hit[col].dtype != bool:
            hit = hit.sort_values(col, ascending=False, kind="stable")
        say = describe.get(col, lambda s, r, c=col: f"{s} {r[c]}")
        parts = [say(sym, r) for sym, r in hit.iterrows()]
        out.append(Finding(check, tuple(hit.index), f"{text}: {_list(parts)}"))
    return out


def _counted_checks(unit: str, th: QualityThresholds) -> list[tuple[Check, str, str]]:
    """The checks a table column counts (or flags): (check, column, what a finding says)."""
    return [
        (Check.MISSING, "missing", f"missing {unit}s"),
        (Check.DUPLICATES, "duplicates", "duplicate timestamps"),
        (Check.NONPOSITIVE_CLOSE, "nonpositive_close", "closes <= 0"),
        (Check.NAN_CLOSE, "nan_close", "NaN closes"),
        (Check.ZERO_MARKET_CAP, "zero_market_cap", "market cap = 0 (treat as missing)"),
        (
            Check.LEADING_ZERO_MARKET_CAP,
            "leading_zero_market_cap",
            f"first {unit}s without a market cap (pre-listing history)",
        ),
        (Check.NAN_MARKET_CAP, "nan_market_cap", "market cap missing (NaN)"),
        (Check.ZERO_VOLUME, "zero_volume", f"zero-volume {unit}s"),
        (Check.JUMPS, "jumps", f"one-{unit} moves beyond ±{th.jump_threshold:.0%}"),
        (Check.STALE, "stale_runs", "runs of identical closes (stale snapshots)"),
        (Check.OFF_GRID, "off_grid", "timestamps off the grid"),
        (
            Check.OFF_SNAPSHOT,
            "off_snapshot",
            "rows snapped away from the period start (see snapped_at)",
        ),
        (
            Check.NEAR_CONSTANT,
            "near_constant",
            "near-constant prices (stablecoins: near-zero variance)",
        ),
    ]


def _describers(f: str) -> dict[str, Callable[[str, pd.Series], str]]:
    """How a finding names one symbol, for the columns that say more than the count."""
    return {
        "missing": lambda s, r: (
            f"{s} {r['missing']}"
            + (
                f" (longest {r['longest_gap']} from {format_time(r['longest_gap_start'], f)})"
                if r["longest_gap"] > 1
                else ""
            )
        ),
        "jumps": lambda s, r: (
            f"{s} {r['jumps']} (largest {r['largest_jump']:+,.0%} "
            f"on {format_time(r['largest_jump_at'], f)})"
        ),
        "stale_runs": lambda s, r: (
            f"{s} {r['stale_runs']} (longest {r['longest_stale_run']} rows "
            f"from {format_time(r['longest_stale_start'], f)})"
        ),
        "near_constant": lambda s, r: s,
    }
