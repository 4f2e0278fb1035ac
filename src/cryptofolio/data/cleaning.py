"""Explicit cleaning: a named policy the caller chooses, applied step by step and logged.

Nothing in cryptofolio cleans data behind the caller's back: loaders return the data as it is,
:func:`cryptofolio.data.quality.quality_report` only reports, and :func:`clean` changes exactly
what its :class:`CleaningPolicy` asks for, recording every change in
:attr:`CleaningResult.actions`.

>>> from cryptofolio.data import load_dataset
>>> from cryptofolio.data.cleaning import CleaningPolicy, clean
>>> result = clean(load_dataset("coingecko-daily"), CleaningPolicy.preset("standard"))
>>> result.actions.head()  # doctest: +SKIP

Steps, always in this order (each only when its option is on):

1. ``drop_duplicates``: keep the last row of each repeated (timestamp, symbol);
2. ``drop_bad_prices``: drop rows whose close is NaN or <= 0;
3. ``drop_listing_junk``: drop each symbol's history before its detected listing jump
   (``listing_junk_before`` of the quality report: BNB before 2017-10-30, SHIB before 2021-01-31);
4. ``drop_zero_market_cap_prefix``: drop the leading rows whose market cap is 0
   (pre-listing history such as SAFEMOON's, OHM's and AR's first rows);
5. ``zero_market_cap_as_missing``: market cap 0 becomes NaN (unknown, not worthless);
6. ``zero_volume_as_missing``: volume 0 becomes NaN;
7. ``ffill_max_periods = K``: every gap of at most K missing periods gets its timestamps inserted,
   with close (and open/high/low) and market cap carried forward from the last row, volume NaN,
   and ``filled = True``; longer gaps are left as they are (and logged).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.data.frame import frequency_delta, infer_frequency
from cryptofolio.data.quality import QualityThresholds, quality_report
from cryptofolio.errors import DataError
from cryptofolio.user_warnings import user_stacklevel


class CleaningAction(StrEnum):
    """What a cleaning step did (the ``action`` column of :attr:`CleaningResult.actions`)."""

    DROP_DUPLICATES = "drop_duplicates"
    DROP_BAD_PRICES = "drop_bad_prices"
    DROP_LISTING_JUNK = "drop_listing_junk"
    DROP_ZERO_MARKET_CAP_PREFIX = "drop_zero_market_cap_prefix"
    ZERO_MARKET_CAP_TO_NAN = "zero_market_cap_to_nan"
    ZERO_VOLUME_TO_NAN = "zero_volume_to_nan"
    FORWARD_FILL = "forward_fill"
    GAP_LEFT_UNFILLED = "gap_left_unfilled"


class CleaningPreset(StrEnum):
    """Named policies; see :meth:`CleaningPolicy.preset`."""

    NONE = "none"
    BASIC = "basic"
    STANDARD = "standard"
    STRICT = "strict"


@dataclass(frozen=True)
class CleaningPolicy:
    """Which cleaning steps to apply (all off by default: the data is returned unchanged).

    Attributes
    ----------
    drop_duplicates
        Keep only the last row of each repeated (timestamp, symbol).
    drop_bad_prices
        Drop rows whose close is NaN or not positive.
    drop_listing_junk
        Drop each symbol's history before a detected listing jump (see
        :mod:`cryptofolio.data.quality`; detection uses ``thresholds``).
    drop_zero_market_cap_prefix
        Drop the rows at the start of a series whose market cap is 0.
    zero_market_cap_as_missing
        Replace a market cap of exactly 0 by NaN.
    zero_volume_as_missing
        Replace a volume of exactly 0 by NaN.
    ffill_max_periods
        Fill gaps of at most this many missing periods by carrying the last row forward
        (inserted rows are marked ``filled``); 0 fills nothing.
    frequency
        Period label for the gap and junk checks; inferred when None.
    thresholds
        Thresholds of the listing-junk detection.
    """

    drop_duplicates: bool = False
    drop_bad_prices: bool = False
    drop_listing_junk: bool = False
    drop_zero_market_cap_prefix: bool = False
    zero_market_cap_as_missing: bool = False
    zero_volume_as_missing: bool = False
    ffill_max_periods: int = 0
    frequency: str | None = None
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    def __post_init__(self) -> None:
        if int(self.ffill_max_periods) != self.ffill_max_periods or self.ffill_max_periods < 0:
            raise DataError(
                f"ffill_max_periods must be a whole number >= 0, got {self.ffill_max_periods!r}"
            )
        if self.frequency is not None:
            frequency_delta(self.frequency)  # validates the label

    @classmethod
    def preset(cls, name: str | CleaningPreset, **overrides: object) -> CleaningPolicy:
        """A named policy, optionally with some options changed.

        ``none``
            nothing (the data as loaded);
        ``basic``
            drop duplicates (keep last) and bad prices, zero market cap as missing;
        ``standard``
            ``basic`` + drop listing junk (BNB before 2017-10-30, SHIB before 2021-01-31);
        ``strict``
            ``standard`` + drop leading zero-market-cap history + zero volume as missing.
        """
        try:
            key = CleaningPreset(str(name).lower())
        except ValueError:
            raise DataError(
                f"unknown cleaning preset {name!r}; use one of "
                f"{', '.join(p.value for p in CleaningPreset)}"
            ) from None
        return replace(PRESETS[key], **overrides)  # type: ignore[arg-type]

    def describe(self) -> list[str]:
        """The steps this policy applies, in words (empty for the ``none`` policy)."""
        steps = []
        if self.drop_duplicates:
            steps.append("drop duplicate timestamps (keep the last row)")
        if self.drop_bad_prices:
            steps.append("drop rows with a NaN or non-positive close")
        if self.drop_listing_junk:
            steps.append("drop history before a detected listing jump")
        if self.drop_zero_market_cap_prefix:
            steps.append("drop leading rows with a zero market cap")
        if self.zero_market_cap_as_missing:
            steps.append("treat zero market cap as missing")
        if self.zero_volume_as_missing:
            steps.append("treat zero volume as missing")
        if self.ffill_max_periods:
            steps.append(f"forward-fill gaps of at most {self.ffill_max_periods} period(s)")
        return steps


PRESETS: dict[CleaningPreset, CleaningPolicy] = {
    CleaningPreset.NONE: CleaningPolicy(),
    CleaningPreset.BASIC: CleaningPolicy(
        drop_duplicates=True, drop_bad_prices=True, zero_market_cap_as_missing=True
    ),
    CleaningPreset.STANDARD: CleaningPolicy(
        drop_duplicates=True,
        drop_bad_prices=True,
        zero_market_cap_as_missing=True,
        drop_listing_junk=True,
    ),
    CleaningPreset.STRICT: CleaningPolicy(
        drop_duplicates=True,
        drop_bad_prices=True,
        zero_market_cap_as_missing=True,
        drop_listing_junk=True,
        drop_zero_market_cap_prefix=True,
        zero_volume_as_missing=True,
    ),
}

ACTION_COLUMNS: tuple[str, ...] = ("symbol", "action", "rows", "first", "last")


@dataclass(frozen=True)
class CleaningResult:
    """Result of :func:`clean`.

    Attributes
    ----------
    data
        The cleaned long frame (with a boolean ``filled`` column when forward-filling was asked).
    policy
        The policy applied.
    actions
        Tidy log, one row per (symbol, action): ``symbol, action, rows, first, last`` where
        ``rows`` is the number of rows dropped, changed or inserted (for
        ``gap_left_unfilled``: the missing periods left) and ``first``/``last`` the UTC
        timestamps of the first and last of them.
    """

    data: pd.DataFrame
    policy: CleaningPolicy
    actions: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Rows affected per action, summed over symbols."""
        return self.actions.groupby("action", sort=False)["rows"].sum().to_frame()


class _Log:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, pd.Timestamp, pd.Timestamp]] = []

    def add(self, action: CleaningAction, frame: pd.DataFrame) -> None:
        """Log the rows of ``frame`` (timestamp, symbol) affected by ``action``."""
        for sym, ts in frame.groupby("symbol", sort=True)["timestamp"]:
            self.rows.append((str(sym), action.value, len(ts), ts.min(), ts.max()))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=list(ACTION_COLUMNS))
        for col in ("first", "last"):
            out[col] = pd.to_datetime(out[col], utc=True)
        out["rows"] = out["rows"].astype("int64")
        return out


def _leading_zero_mcap(frame: pd.DataFrame) -> pd.Series:
    """True on each symbol's leading rows whose market cap is 0."""
    nonzero = frame["market_cap"].ne(0)
    return ~nonzero.groupby(frame["symbol"], sort=False).cummax()


def _forward_fill(frame: pd.DataFrame, step: pd.Timedelta, limit: int, log: _Log) -> pd.DataFrame:
    frame = frame.assign(filled=False)
    inserted: list[pd.DataFrame] = []
    for sym, g in frame.groupby("symbol", sort=True):
        ts = g["timestamp"].reset_index(drop=True)
        periods = ((ts.shift(-1) - ts) / step).to_numpy(dtype="float64")
        for pos in np.nonzero(np.isfinite(periods) & (periods > 1))[0]:
            if periods[pos] != round(periods[pos]):
                continue  # next row is off the grid: no whole number of periods to fill
            missing = int(periods[pos]) - 1
            stamps = pd.date_range(ts.iloc[pos] + step, periods=missing, freq=step)
            if missing > limit:
                log.rows.append(
                    (
                        str(sym),
                        CleaningAction.GAP_LEFT_UNFILLED.value,
                        missing,
                        stamps[0],
                        stamps[-1],
                    )
                )
                continue
            last = g.iloc[pos]
            rows = {"timestamp": stamps, "symbol": str(sym), "close": last["close"]}
            for col in ("open", "high", "low"):  # a flat candle where the source has candles
                rows[col] = last["close"] if pd.notna(last.get(col, np.nan)) else np.nan
            rows.update(volume=np.nan, market_cap=last.get("market_cap", np.nan), filled=True)
            inserted.append(pd.DataFrame(rows))
    if inserted:
        new = pd.concat(inserted, ignore_index=True)
        log.add(CleaningAction.FORWARD_FILL, new)
        frame = pd.concat([frame, new], ignore_index=True)
    return frame.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)


def clean(long: pd.DataFrame, policy: CleaningPolicy | str | CleaningPreset) -> CleaningResult:
    """Apply an explicit cleaning policy to a long frame and log every change.

    Parameters
    ----------
    long
        Long frame (see :func:`cryptofolio.data.load_dataset`); it is not modified.
    policy
        A :class:`CleaningPolicy` or the name of a preset (``none``, ``basic``, ``standard``,
        ``strict``). There is no default: the caller says what to change.

    Returns
    -------
    CleaningResult
        The cleaned frame, the policy and the tidy log of actions.
    """
    if not isinstance(policy, CleaningPolicy):
        policy = CleaningPolicy.preset(policy)
    log = _Log()
    out = long.sort_values(["symbol", "timestamp"], kind="stable").reset_index(drop=True)

    if policy.drop_duplicates:
        dup = out.duplicated(["symbol", "timestamp"], keep="last")
        log.add(CleaningAction.DROP_DUPLICATES, out[dup])
        out = out[~dup]
    if policy.drop_bad_prices:
        bad = out["close"].isna() | (out["close"] <= 0)
        log.add(CleaningAction.DROP_BAD_PRICES, out[bad])
        out = out[~bad]
    needs_freq = policy.drop_listing_junk or policy.ffill_max_periods > 0
    frequency = policy.frequency or (infer_frequency(out) if needs_freq and len(out) else None)
    if policy.drop_listing_junk and len(out):
        report = quality_report(out, frequency, thresholds=policy.thresholds)
        cutoff = out["symbol"].map(report.table["listing_junk_before"])
        junk = cutoff.notna() & (out["timestamp"] < cutoff)
        log.add(CleaningAction.DROP_LISTING_JUNK, out[junk])
        out = out[~junk]
    if policy.drop_zero_market_cap_prefix and "market_cap" in out:
        lead = _leading_zero_mcap(out)
        log.add(CleaningAction.DROP_ZERO_MARKET_CAP_PREFIX, out[lead])
        out = out[~lead]
    out = out.copy()
    if policy.zero_market_cap_as_missing and "market_cap" in out:
        zero = out["market_cap"] == 0
        log.add(CleaningAction.ZERO_MARKET_CAP_TO_NAN, out[zero])
        out.loc[zero, "market_cap"] = np.nan
    if policy.zero_volume_as_missing and "volume" in out:
        zero = out["volume"] == 0
        log.add(CleaningAction.ZERO_VOLUME_TO_NAN, out[zero])
        out.loc[zero, "volume"] = np.nan
    if policy.ffill_max_periods > 0 and len(out):
        if out.duplicated(["symbol", "timestamp"]).any():
            raise DataError(
                "cannot forward-fill gaps while (timestamp, symbol) duplicates remain; "
                "add drop_duplicates=True to the policy"
            )
        out = _forward_fill(
            out, frequency_delta(frequency or "1d"), int(policy.ffill_max_periods), log
        )
    if out.empty:
        raise DataError(
            "cleaning removed every row; check the policy "
            f"({'; '.join(policy.describe()) or 'none'}) against the quality report"
        )
    return CleaningResult(data=out.reset_index(drop=True), policy=policy, actions=log.frame())


class CleaningNote(UserWarning):
    """What a cleaning policy chosen by the user (``--clean``) changed, one line per action."""


def cleaning_notes(result: CleaningResult, name: str) -> list[str]:
    """The actions of ``result`` in words, one line per (action, symbols), e.g.
    ``--clean standard: drop_listing_junk: BNB 1,147 rows 2017-07-14 to 2017-10-29``."""
    notes = []
    for action, rows in result.actions.groupby("action", sort=False):
        parts = [
            f"{r.symbol} {int(r.rows):,} rows {r.first:%Y-%m-%d} to {r.last:%Y-%m-%d}"
            for r in rows.itertuples()
        ]
        notes.append(f"--clean {name}: {action}: {', '.join(parts)}")
    return notes


def clean_for_use(
    long: pd.DataFrame, preset: str | CleaningPreset
) -> tuple[pd.DataFrame, list[str]]:
    """Apply the preset a user named (``--clean``) and issue one :class:`CleaningNote` per
    action, so the output records what was changed; ``none`` returns ``long`` unchanged."""
    name = CleaningPolicy.preset(preset)  # validates the name
    key = str(getattr(preset, "value", preset)).lower()
    if key == CleaningPreset.NONE.value:
        return long, []
    result = clean(long, name)
    notes = cleaning_notes(result, key) or [f"--clean {key}: nothing to change"]
    for note in notes:
        warnings.warn(note, CleaningNote, stacklevel=user_stacklevel())
    return result.data, notes
