"""The screen as a universe filter: drop the coins in the 51%-attack danger zone before a
strategy decides (backtest) or before an optimisation (optimize), point in time.

At a decision time ``at`` the screen reads the last complete UTC day before it
(:func:`screen_day`: the day ending at ``at``'s midnight or earlier), so a backtest decision
never sees a later day's network data. Coins without proof-of-work data (proof of stake, or
not in the data) are never excluded; they are reported as not screened.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cryptofolio.data.symbols import to_asset
from cryptofolio.errors import SecurityError
from cryptofolio.security.data import PowData, load_pow_data
from cryptofolio.security.screen import NOT_POW_REASON, ScreenResult, screen_pow_risk
from cryptofolio.security.thresholds import PowRiskThresholds


def screen_day(at: str | pd.Timestamp) -> pd.Timestamp:
    """The last UTC day complete at decision time ``at`` (``2020-07-28 00:00`` and
    ``2020-07-28 13:00`` both give 2020-07-27)."""
    ts = pd.Timestamp(at)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("D") - pd.Timedelta(days=1)


@dataclass(frozen=True)
class PowExclusions(Mapping[str, str]):
    """Excluded coin -> reason (a mapping), with the coins that were not screened.

    Attributes
    ----------
    excluded
        Coins in the danger zone and why.
    not_screened
        Coins without proof-of-work figures and why (kept in the universe).
    day
        The screen day (rows dated on or before it were read).
    notes
        The screen's caveats.
    """

    excluded: Mapping[str, str]
    not_screened: Mapping[str, str] = field(default_factory=dict)
    day: pd.Timestamp | None = None
    notes: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> str:
        return self.excluded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.excluded)

    def __len__(self) -> int:
        return len(self.excluded)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "screen_day": None if self.day is None else f"{self.day:%Y-%m-%d}",
            "excluded": dict(self.excluded),
            "not_screened": dict(self.not_screened),
            "notes": list(self.notes),
        }


def pow_risk_exclusions(
    assets: Sequence[str],
    at: str | pd.Timestamp,
    thresholds: PowRiskThresholds | None = None,
    *,
    data: PowData | None = None,
) -> PowExclusions:
    """Which of ``assets`` the screen excludes at decision time ``at``, and why.

    Raises
    ------
    SecurityError
        When ``at`` lies outside the proof-of-work data (see
        :func:`~cryptofolio.security.screen.screen_pow_risk`).
    """
    day = screen_day(at)
    return exclusions_from_screen(screen_pow_risk(day, data=data, thresholds=thresholds), assets)


def exclusions_from_screen(result: ScreenResult, assets: Sequence[str]) -> PowExclusions:
    """The exclusions among ``assets`` of a screen of every coin (``assets=None``)."""
    danger = result.exclusions()
    unjudged = result.not_screened()
    excluded: dict[str, str] = {}
    not_screened: dict[str, str] = {}
    for asset in assets:
        a = to_asset(asset)
        if a in danger:
            excluded[asset] = danger[a]
        elif a in unjudged:
            not_screened[asset] = unjudged[a]
        elif a not in result.table.index:
            not_screened[asset] = NOT_POW_REASON
    notes = tuple(n for n in result.notes if not n.startswith("not screened"))
    return PowExclusions(excluded, not_screened, result.date, notes)


def restrict_context(context: Any, eligible: tuple[str, ...]) -> Any:
    """A copy of a :class:`~cryptofolio.backtest.DecisionContext` whose ``eligible`` is
    ``eligible`` (public fields only; a cached price window is dropped so that ``prices`` is
    cut from ``history`` for the new set)."""
    if tuple(eligible) == tuple(context.eligible):
        return context
    names = {f.name for f in dataclasses.fields(context)}
    changes: dict[str, Any] = {"eligible": tuple(eligible)}
    if "window_prices" in names:
        changes["window_prices"] = None
    return dataclasses.replace(context, **changes)


class PowRiskFilter:
    """Wrap a backtest strategy: at each rebalance, remove the danger-zone coins from
    ``context.eligible`` before ``inner`` decides, and record them.

    Parameters
    ----------
    inner
        Any strategy (``name`` and ``target_weights(context)``).
    thresholds
        :class:`~cryptofolio.security.screen.PowRiskThresholds` (default its defaults).
    data
        :class:`~cryptofolio.security.data.PowData` (default the bundled data).
    name
        Display name; default ``inner.name`` (the filter is a universe rule).

    Attributes
    ----------
    records
        ``(timestamp, asset, reason)`` per exclusion, in decision order.
    unscreened
        ``(timestamp, asset, reason)`` per eligible coin the screen could not judge.
    """

    def __init__(
        self,
        inner: Any,
        thresholds: PowRiskThresholds | None = None,
        *,
        data: PowData | None = None,
        name: str | None = None,
        screens: dict[pd.Timestamp, ScreenResult] | None = None,
    ) -> None:
        self.inner = inner
        self.thresholds = thresholds or PowRiskThresholds()
        self.data = data
        self.name = name or inner.name
        self.records: list[tuple[pd.Timestamp, str, str]] = []
        self.unscreened: list[tuple[pd.Timestamp, str, str]] = []
        self._screens = screens if screens is not None else {}

    def screen(self, at: pd.Timestamp) -> ScreenResult:
        """The screen of every coin for decision time ``at`` (kept per screen day, and shared
        by the filters :func:`with_pow_risk_filter` builds)."""
        day = screen_day(at)
        if day not in self._screens:
            self._screens[day] = screen_pow_risk(day, data=self.data, thresholds=self.thresholds)
        return self._screens[day]

    def target_weights(self, context: Any) -> pd.Series | None:
        ts = context.timestamp
        excluded = exclusions_from_screen(self.screen(ts), context.eligible)
        self.records.extend((ts, a, r) for a, r in excluded.items())
        self.unscreened.extend((ts, a, r) for a, r in excluded.not_screened.items())
        kept = tuple(a for a in context.eligible if a not in excluded)
        return self.inner.target_weights(restrict_context(context, kept))

    def exclusions(self) -> pd.DataFrame:
        """``timestamp, asset, reason`` of every exclusion."""
        return pd.DataFrame(self.records, columns=["timestamp", "asset", "reason"])


def with_pow_risk_filter(
    strategies: Sequence[Any],
    thresholds: PowRiskThresholds | None = None,
    *,
    until: str | pd.Timestamp | None = None,
    data: PowData | None = None,
) -> list[PowRiskFilter]:
    """Wrap each strategy in a :class:`PowRiskFilter`; with ``until`` (the last decision
    time), fail at once when the data cannot screen it, instead of on that rebalance."""
    data = data or load_pow_data()
    thresholds = thresholds or PowRiskThresholds()
    if until is not None:
        day = screen_day(until)
        reach = data.last_day + pd.Timedelta(days=int(thresholds.window_days) - 1)
        if day > reach:
            raise SecurityError(
                f"--exclude-pow-risk: the {data.source} ends {data.last_day:%Y-%m-%d}, so it "
                f"cannot screen decisions after {reach + pd.Timedelta(days=1):%Y-%m-%d} (this run "
                f"decides until {pd.Timestamp(until):%Y-%m-%d}); pass --end "
                f"{data.last_day:%Y-%m-%d} or drop --exclude-pow-risk"
            )
    screens: dict[pd.Timestamp, ScreenResult] = {}
    return [PowRiskFilter(s, thresholds, data=data, screens=screens) for s in strategies]


def exclusion_report(filters: Sequence[PowRiskFilter]) -> dict[str, Any]:
    """What the filters excluded, merged over strategies (plain data for table and JSON):
    ``excluded`` (``date, asset, reason`` per decision), ``summary`` (per asset: decisions
    excluded, first and last date, latest reason), ``not_screened`` (asset -> reason) and
    ``thresholds``."""
    rows = sorted({(ts, a, r) for f in filters for ts, a, r in f.records})
    excluded = [{"date": ts.isoformat(), "asset": a, "reason": r} for ts, a, r in rows]
    summary: dict[str, dict[str, Any]] = {}
    for ts, a, r in rows:
        s = summary.setdefault(a, {"asset": a, "decisions": 0, "first": ts.isoformat()})
        s["decisions"] += 1
        s["last"] = ts.isoformat()
        s["reason"] = r
    unscreened: dict[str, str] = {}
    for f in filters:
        for _, a, r in f.unscreened:
            unscreened[a] = r
    thresholds = dataclasses.asdict(filters[0].thresholds) if filters else {}
    return {
        "thresholds": thresholds,
        "excluded": excluded,
        "summary": list(summary.values()),
        "not_screened": unscreened,
    }
