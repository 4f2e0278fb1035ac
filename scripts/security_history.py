"""Print the tables of docs/security.md: what the 51%-attack screen says about the bundled
proof-of-work coins over time (default thresholds).

Usage: python scripts/security_history.py

Three Markdown tables, from the bundled Coin Metrics data only (no network):
1. the danger zone on 1 January and 1 July of each year 2014-2020 and on 2020-07-27, each coin
   with the criteria it crossed (S: hash share < 10 %, R: residual < -0.30);
2. per coin, how many of the monthly screens (first of each month, 2014-01 to 2020-07) put it
   in the danger zone, and for which criterion;
3. the log-log trend (slope, R², coins) on 1 January of each year 2012-2020 and on 2020-07-27.
"""

from __future__ import annotations

import pandas as pd

from cryptofolio.security import PowRiskThresholds, screen_pow_risk
from cryptofolio.security.history import screen_history


def _criteria(reasons: str) -> str:
    out = []
    if "hash share" in reasons:
        out.append("S")
    if "trend" in reasons:
        out.append("R")
    return "+".join(out)


def danger_table(thresholds: PowRiskThresholds) -> str:
    dates = [f"{y}-{m:02d}-01" for y in range(2014, 2021) for m in (1, 7)] + ["2020-07-27"]
    h = screen_history(dates, thresholds=thresholds)
    lines = ["| date | coins screened | danger zone (criteria) |", "|---|---|---|"]
    for day, rows in h.groupby("date"):
        danger = rows[rows["danger"]]
        cells = ", ".join(
            f"{r.symbol} ({_criteria(r.reasons)}, share {r.hash_share:.1%}, resid. {r.residual:+.2f})"
            for r in danger.itertuples()
        )
        lines.append(f"| {day:%Y-%m-%d} | {len(rows)} | {cells or 'none'} |")
    return "\n".join(lines)


def monthly_table(thresholds: PowRiskThresholds) -> str:
    dates = pd.date_range("2014-01-01", "2020-07-01", freq="MS", tz="UTC")
    h = screen_history(dates, thresholds=thresholds)
    h["S"] = h["reasons"].str.contains("hash share")
    h["R"] = h["reasons"].str.contains("trend")
    g = h.groupby("symbol").agg(
        screens=("danger", "size"),
        danger=("danger", "sum"),
        share=("S", "sum"),
        residual=("R", "sum"),
        first=("date", "min"),
    )
    g = g.sort_values(["danger", "screens"], ascending=[False, False])
    lines = [
        "| coin | monthly screens | in danger zone | by hash share | by residual | first screened |",
        "|---|---|---|---|---|---|",
    ]
    for sym, r in g.iterrows():
        lines.append(
            f"| {sym} | {r.screens} | {r.danger} ({r.danger / r.screens:.0%}) | {r.share} | "
            f"{r.residual} | {r['first']:%Y-%m} |"
        )
    return "\n".join(lines)


def trend_table(thresholds: PowRiskThresholds) -> str:
    lines = ["| date | slope | intercept | R² | coins |", "|---|---|---|---|---|"]
    for day in [f"{y}-01-01" for y in range(2012, 2021)] + ["2020-07-27"]:
        fit = screen_pow_risk(day, thresholds=thresholds).fit
        lines.append(
            f"| {day} | {fit['slope']:.2f} | {fit['intercept']:.2f} | {fit['r_squared']:.2f} | "
            f"{int(fit['coins'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    thresholds = PowRiskThresholds()
    print("## Danger zone, twice a year\n")
    print(danger_table(thresholds))
    print("\n## Monthly screens per coin, 2014-01 to 2020-07\n")
    print(monthly_table(thresholds))
    print("\n## The log-log trend of budget on market cap\n")
    print(trend_table(thresholds))


if __name__ == "__main__":
    main()
