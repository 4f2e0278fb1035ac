"""The events section of the backtest report: counts, then the notable events grouped.

Events that repeat with the same message, or with messages that differ only in their numbers
(``highest attainable is -0.135`` / ``-0.183``), are shown as one line with their count and
dates instead of one row each.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)
_DATES_SHOWN = 12


def message_template(text: str) -> str:
    """``text`` with every number replaced by ``#`` (the key that groups repeated messages)."""
    return _NUMBER.sub("#", text)


def grouped_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events (``timestamp, strategy, asset, event, detail``) grouped by strategy, asset, event
    and :func:`message_template` of the detail, in order of first occurrence.

    Returns
    -------
    DataFrame
        ``strategy, asset, event, detail`` (the first message), ``count``, ``dates`` (the
        timestamps, sorted), ``varies`` (whether the messages' numbers differ).
    """
    columns = ["strategy", "asset", "event", "detail", "count", "dates", "varies"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    ev = events.sort_values("timestamp", kind="stable").assign(
        template=events["detail"].astype(str).map(message_template)
    )
    rows = []
    keys = ["strategy", "asset", "event", "template"]
    for _, group in ev.groupby(keys, sort=False, dropna=False):
        first = group.iloc[0]
        rows.append(
            {
                "strategy": first["strategy"],
                "asset": first["asset"],
                "event": first["event"],
                "detail": str(first["detail"]),
                "count": len(group),
                "dates": list(group["timestamp"]),
                "varies": group["detail"].astype(str).nunique() > 1,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _dates_text(dates: list) -> str:
    days = [str(d)[:10] for d in dates]
    shown = ", ".join(days[:_DATES_SHOWN])
    more = len(days) - _DATES_SHOWN
    return shown + (f" … (+{more} more)" if more > 0 else "")


def events_html(result: BacktestResult, limit: int = 40) -> str:
    """Counts per strategy and event, then the events other than entries, grouped."""
    frames = [result.universe.assign(strategy="(universe)")]
    for name, res in result.strategies.items():
        if not res.events.empty:
            frames.append(res.events.assign(strategy=name))
    events = pd.concat(frames, ignore_index=True)
    if events.empty:
        return "<p class='note'>No events.</p>"
    counts = events.groupby(["strategy", "event"]).size().rename("count").reset_index()
    summary = "".join(
        f"<tr><td>{html.escape(str(r.strategy))}</td><td>{html.escape(str(r.event))}</td>"
        f"<td>{r.count}</td></tr>"
        for r in counts.itertuples()
    )
    out = (
        "<table class='metrics'><thead><tr><th>strategy</th><th>event</th><th>count</th></tr>"
        f"</thead><tbody>{summary}</tbody></table>"
    )
    groups = grouped_events(events[events["event"] != "entry"])
    if groups.empty:
        return out
    detail = "".join(_group_row(r) for r in groups.head(limit).itertuples())
    more = len(groups) - limit
    note = f"<p class='note'>{more} more groups not shown.</p>" if more > 0 else ""
    return (
        out
        + "<h3>Events other than entries (repeated messages grouped)</h3>"
        + "<table class='metrics'><thead><tr><th>times</th><th>strategy</th><th>asset</th>"
        f"<th>event</th><th>detail</th><th>dates</th></tr></thead><tbody>{detail}</tbody>"
        f"</table>{note}"
    )


def _group_row(r) -> str:  # type: ignore[no-untyped-def]
    detail = html.escape(r.detail)
    if r.varies:
        detail += " <span class='note'>(first message shown; the numbers differ each time)</span>"
    wrap = "style='text-align:left; white-space:normal'"
    return (
        f"<tr><td>{r.count}×</td><td>{html.escape(str(r.strategy))}</td>"
        f"<td>{html.escape(str(r.asset))}</td><td>{html.escape(str(r.event))}</td>"
        f"<td {wrap}>{detail}</td><td {wrap}>{html.escape(_dates_text(r.dates))}</td></tr>"
    )
