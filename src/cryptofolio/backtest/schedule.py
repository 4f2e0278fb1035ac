"""Rebalance schedules: calendar (daily, weekly, monthly), every N days/hours/periods, or when the
drifted weights move further than a threshold from the last target.

A schedule is parsed from the CLI form (``daily``, ``weekly``, ``monthly``, ``7d``, ``12h``,
``30p``, ``drift:0.05``, or a pandas calendar offset alias such as ``W-FRI``, ``MS``, ``ME``,
``QS``) into a :class:`Schedule`. Calendar schedules depend only on the
timestamps, so they are computed up front as a boolean mask (:func:`calendar_mask`); the drift
schedule is evaluated inside the simulation from weights known before the decision time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import BacktestError


class ScheduleKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    EVERY_DAYS = "days"
    EVERY_HOURS = "hours"
    EVERY_PERIODS = "periods"
    DRIFT = "drift"
    OFFSET = "offset"


@dataclass(frozen=True)
class Schedule:
    """When to rebalance.

    Attributes
    ----------
    kind
        The :class:`ScheduleKind`.
    every
        N for the every-N-days/hours/periods kinds.
    threshold
        For :attr:`ScheduleKind.DRIFT`: rebalance when any asset's drifted weight differs from
        its last target by more than this (absolute weight, 0.05 = 5 percentage points).
    offset
        For :attr:`ScheduleKind.OFFSET`: a pandas calendar offset alias (``W-FRI``, ``MS``);
        the schedule rebalances at the first row at or after each of its dates (UTC).
    """

    kind: ScheduleKind
    every: int = 1
    threshold: float = 0.0
    offset: str = ""

    def __str__(self) -> str:
        if self.kind is ScheduleKind.EVERY_DAYS:
            return f"{self.every}d"
        if self.kind is ScheduleKind.EVERY_HOURS:
            return f"{self.every}h"
        if self.kind is ScheduleKind.EVERY_PERIODS:
            return f"{self.every}p"
        if self.kind is ScheduleKind.DRIFT:
            return f"drift:{self.threshold:g}"
        if self.kind is ScheduleKind.OFFSET:
            return self.offset
        return self.kind.value


_EVERY = re.compile(r"^(\d+)([dhp])$")


def parse_schedule(text: str | Schedule) -> Schedule:
    """Parse ``daily|weekly|monthly|Nd|Nh|Np|drift:X|OFFSET`` into a :class:`Schedule`.

    ``Nd`` is every N days of calendar time, ``Nh`` every N hours, ``Np`` every N rows of the
    data; ``drift:0.05`` rebalances when a weight drifts more than 5 points from its target.
    ``OFFSET`` is a pandas calendar offset alias, case as pandas spells it (``W-FRI`` Fridays,
    ``MS`` month starts, ``ME`` month ends, ``QS`` quarter starts, ``2W-MON``): a rebalance at
    the first row at or after each of its dates. Fixed lengths (``D``, ``h``) are ``Nd``/``Nh``.

    Raises
    ------
    BacktestError
        None of these forms.
    """
    if isinstance(text, Schedule):
        return text
    raw = text.strip().lower()
    if raw in ("daily", "weekly", "monthly"):
        return Schedule(ScheduleKind(raw))
    m = _EVERY.match(raw)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise BacktestError(f"rebalance {text!r}: N must be at least 1 (e.g. 7d)")
        kind = {
            "d": ScheduleKind.EVERY_DAYS,
            "h": ScheduleKind.EVERY_HOURS,
            "p": ScheduleKind.EVERY_PERIODS,
        }[m.group(2)]
        return Schedule(kind, every=n)
    if raw.startswith("drift:"):
        try:
            threshold = float(raw.split(":", 1)[1])
        except ValueError:
            threshold = float("nan")
        if np.isfinite(threshold) and 0 < threshold < 1:
            return Schedule(ScheduleKind.DRIFT, threshold=threshold)
    offset = _calendar_offset(text.strip())
    if offset is not None:
        return Schedule(ScheduleKind.OFFSET, offset=text.strip())
    raise BacktestError(
        f"cannot parse rebalance schedule {text!r}; use daily, weekly, monthly, Nd (every N days),"
        " Nh (hours), Np (periods), drift:X with 0 < X < 1 (e.g. drift:0.05) or a pandas "
        "calendar offset alias (W-FRI, MS, ME, QS)"
    )


def _calendar_offset(text: str) -> pd.DateOffset | None:
    """The pandas calendar offset ``text`` names; ``None`` if it names none or a fixed length
    (a ``Tick``: ``D``, ``h``, ``min``), which ``Nd``/``Nh`` express."""
    try:
        offset = pd.tseries.frequencies.to_offset(text)
    except (ValueError, TypeError):
        return None
    if isinstance(offset, pd.tseries.offsets.Tick) or offset.n < 1:
        return None
    return offset


def calendar_mask(index: pd.DatetimeIndex, schedule: Schedule) -> np.ndarray:
    """Boolean array: True where a calendar schedule rebalances (row 0 is always True).

    Daily/weekly/monthly rebalance at the first row of each UTC day / ISO week (Monday) /
    month. Every-N-days/hours rebalances at the first row at or after the previous rebalance
    plus N days/hours. An offset schedule rebalances at the first row at or after each date of
    ``pd.date_range(first day, last row, freq=offset)``. For the drift schedule only row 0 is
    True (the rest is decided by the simulation).
    """
    n = len(index)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    mask[0] = True
    kind = schedule.kind
    if kind in (ScheduleKind.DAILY, ScheduleKind.WEEKLY, ScheduleKind.MONTHLY):
        if kind is ScheduleKind.DAILY:
            key = index.normalize()
        elif kind is ScheduleKind.WEEKLY:
            monday = pd.Timestamp("1970-01-05", tz=index.tz)  # weeks start on Monday
            key = (index.normalize() - monday) // pd.Timedelta(days=7)
        else:
            key = index.year.to_numpy() * 12 + index.month.to_numpy()
        key = np.asarray(key)
        mask[1:] = key[1:] != key[:-1]
    elif kind is ScheduleKind.OFFSET:
        dates = pd.date_range(index[0].normalize(), index[-1], freq=schedule.offset)
        rows = np.searchsorted(index, dates, side="left")
        mask[rows[rows < n]] = True
    elif kind is ScheduleKind.EVERY_PERIODS:
        mask[:: schedule.every] = True
    elif kind in (ScheduleKind.EVERY_DAYS, ScheduleKind.EVERY_HOURS):
        step = pd.Timedelta(
            days=schedule.every if kind is ScheduleKind.EVERY_DAYS else 0,
            hours=schedule.every if kind is ScheduleKind.EVERY_HOURS else 0,
        )
        next_time = index[0] + step
        for i in range(1, n):
            if index[i] >= next_time:
                mask[i] = True
                next_time = index[i] + step
    return mask
