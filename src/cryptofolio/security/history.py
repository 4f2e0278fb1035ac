"""The screen over time: each coin's residual from the log-log trend, day by day, and the
danger-zone flags on a list of dates (what docs/security.md shows)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cryptofolio.security.data import PowData, load_pow_data, utc_day
from cryptofolio.security.measures import security_budget_per_hour
from cryptofolio.security.regression import loglog_residuals
from cryptofolio.security.screen import ScreenStatus, screen_pow_risk
from cryptofolio.security.thresholds import PowRiskThresholds


def residual_history(data: PowData | None = None, window_days: int = 7) -> pd.DataFrame:
    """Each coin's residual on each day, from the trailing ``window_days``-day means of its
    security budget and market cap (the screen's USD figures; a day's fit uses every coin
    with both).

    Returns
    -------
    pandas.DataFrame
        ``date, symbol, security_budget_usd_per_hour, market_cap_usd, residual`` (log10
        units), ``slope``, ``fit_coins``.
    """
    data = data or load_pow_data()
    d = data.daily
    frame = pd.DataFrame(
        {
            "date": d["date"].to_numpy(),
            "symbol": d["symbol"].to_numpy(),
            "security_budget_usd_per_hour": security_budget_per_hour(
                d["issuance_usd"].to_numpy(), d["fees_usd"].to_numpy()
            ),
            "market_cap_usd": d["market_cap_usd"].to_numpy(float),
        }
    ).sort_values(["symbol", "date"])
    rolled = (
        frame.set_index("date")
        .groupby("symbol")[["security_budget_usd_per_hour", "market_cap_usd"]]
        .rolling(f"{int(window_days)}D", min_periods=1)
        .mean()
        .reset_index()
    )
    rolled["date"] = pd.to_datetime(rolled["date"], utc=True)
    rolled = rolled.sort_values(["date", "symbol"]).reset_index(drop=True)
    fit = loglog_residuals(rolled, by="date")
    return pd.concat([rolled, fit[["residual", "slope", "fit_coins"]]], axis=1)


def screen_history(
    dates: Iterable[str | pd.Timestamp],
    *,
    data: PowData | None = None,
    thresholds: PowRiskThresholds | None = None,
) -> pd.DataFrame:
    """Run the screen on each of ``dates``; one row per (date, screened coin): ``date,
    symbol, rank, danger, reasons`` (joined), ``hash_share``, ``residual``."""
    data = data or load_pow_data()
    rows = []
    for date in dates:
        result = screen_pow_risk(utc_day(date), data=data, thresholds=thresholds)
        t = result.table[result.table["status"] == ScreenStatus.SCREENED.value]
        for sym, r in t.iterrows():
            rows.append(
                {
                    "date": result.date,
                    "symbol": sym,
                    "rank": r["rank"],
                    "danger": bool(r["danger"]),
                    "reasons": "; ".join(r["reasons"]),
                    "hash_share": r["hash_share"],
                    "residual": r["residual"],
                }
            )
    return pd.DataFrame(rows)
