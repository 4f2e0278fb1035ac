"""``cryptofolio security``: the 51%-attack screen of proof-of-work coins on one date, as a
table or JSON, with optional pictures and an HTML page; plus the ``--exclude-pow-risk`` helpers
that ``backtest`` and ``optimize`` call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cryptofolio.atomic_files import atomic_write_text
from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.data import parse_symbols
from cryptofolio.errors import SecurityError
from cryptofolio.report.security_plots import ScatterColour
from cryptofolio.security import (
    PowExclusions,
    PowRiskThresholds,
    ScreenResult,
    compare_hash_rates,
    exclusion_report,
    load_pow_data,
    pow_risk_exclusions,
    read_crypto51,
    screen_pow_risk,
    with_pow_risk_filter,
)

console = Console()
err_console = Console(stderr=True)

#: ``--exclude-pow-risk`` of ``backtest`` and ``optimize``.
ExcludePowRiskOpt = Annotated[
    bool,
    typer.Option(
        "--exclude-pow-risk",
        help="Drop proof-of-work coins in the 51%-attack danger zone (default thresholds of "
        "`cryptofolio security`), point in time; PoS/unknown coins are kept and reported. The "
        "bundled PoW data ends 2020-07-27.",
    ),
]


class SecurityFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _pct(x: object) -> str:
    return "–" if pd.isna(x) else f"{float(x):.1%}"  # type: ignore[arg-type]


def _money(x: object) -> str:
    if pd.isna(x):  # type: ignore[arg-type]
        return "–"
    v = float(x)  # type: ignore[arg-type]
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= size:
            return f"${v / size:.3g} {suffix}"
    return f"${v:.3g}"


def print_screen(result: ScreenResult, out: Console) -> None:
    """The ranked table, the danger zone, the coins not screened and the notes."""
    table = Table(
        title=f"51%-attack screen {result.date:%Y-%m-%d} (rank 1: furthest below the trend)"
    )
    for col in ("rank", "coin", "algorithm", "hash share", "budget /h", "market cap"):
        table.add_column(col, justify="left" if col in ("coin", "algorithm") else "right")
    table.add_column("resid.", justify="right")
    table.add_column("danger")
    screened = result.table[result.table["status"] == "screened"]
    for sym, r in screened.iterrows():
        table.add_row(
            "" if pd.isna(r["rank"]) else str(r["rank"]),
            str(sym),
            str(r["algorithm"]),
            _pct(r["hash_share"]),
            _money(r["security_budget_usd_per_hour"]),
            _money(r["market_cap_usd"]),
            "–" if pd.isna(r["residual"]) else f"{r['residual']:+.2f}",
            "[bold red]yes[/]" if r["danger"] else "",
        )
    out.print(table)
    fit = result.fit
    if pd.notna(fit.get("slope")):
        out.print(
            f"trend: log10 budget = {fit['intercept']:.2f} + {fit['slope']:.2f} log10 market cap "
            f"({int(fit['coins'])} coins, R² {fit['r_squared']:.2f})",
            highlight=False,
        )
    for sym, reason in result.exclusions().items():
        out.print(f"[bold red]danger[/] {sym}: {escape(str(reason))}", highlight=False)
    for sym, reason in result.not_screened().items():
        out.print(f"[yellow]not screened[/] {sym}: {escape(str(reason))}", highlight=False)
    for note in result.notes:
        if not note.startswith("not screened"):  # listed just above
            out.print(f"note: {note}", highlight=False, markup=False)


MinHashShareOpt = Annotated[
    float, typer.Option("--min-hash-share", help="Danger below this share of the algorithm's hash.")
]
MinResidualOpt = Annotated[
    float, typer.Option("--min-residual", help="Danger below this log10 residual from the trend.")
]
MinBudgetRatioOpt = Annotated[
    float | None,
    typer.Option("--min-budget-ratio", help="Danger below this hourly budget / market cap."),
]
MinAttackCostOpt = Annotated[
    float | None, typer.Option("--min-attack-cost", help="Danger below this 1h attack cost (USD).")
]
MaxNicehashOpt = Annotated[
    float, typer.Option("--max-nicehash", help="Danger at or above this NiceHash-able fraction.")
]
WindowDaysOpt = Annotated[
    int, typer.Option("--window-days", min=1, help="Days averaged, ending on --date.")
]

#: The danger-zone thresholds, reaching a command as one :class:`PowRiskThresholds`.
with_threshold_options = with_option_group(
    "thresholds",
    [
        keyword_option("min_hash_share", MinHashShareOpt, 0.10),
        keyword_option("min_residual", MinResidualOpt, -0.3),
        keyword_option("min_budget_ratio", MinBudgetRatioOpt, None),
        keyword_option("min_attack_cost", MinAttackCostOpt, None),
        keyword_option("max_nicehash", MaxNicehashOpt, 1.0),
        keyword_option("window_days", WindowDaysOpt, 7),
    ],
    lambda values: PowRiskThresholds(
        min_hash_share=values["min_hash_share"],
        min_residual=values["min_residual"],
        min_budget_to_market_cap=values["min_budget_ratio"],
        min_attack_cost_usd=values["min_attack_cost"],
        max_nicehash=values["max_nicehash"],
        window_days=values["window_days"],
    ),
    what="threshold",
)

PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write the log-log scatter as a PNG.")]
ColourOpt = Annotated[
    ScatterColour, typer.Option("--colour", help="Scatter colour: hash-share or nicehash.")
]
ResidualPlotOpt = Annotated[
    Path | None,
    typer.Option("--residual-plot", help="Write each coin's residual over time as a PNG."),
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML page.")
]


@dataclass(frozen=True)
class SecurityPictures:
    """The pictures of a screen: the log-log scatter PNG (coloured by ``colour``), the residual
    history PNG and the HTML page; ``None``: not written."""

    plot: Path | None = None
    colour: ScatterColour = ScatterColour.HASH_SHARE
    residual_plot: Path | None = None
    report: Path | None = None


with_picture_options = with_option_group(
    "pictures",
    [
        keyword_option("plot", PlotOpt, None),
        keyword_option("colour", ColourOpt, ScatterColour.HASH_SHARE),
        keyword_option("residual_plot", ResidualPlotOpt, None),
        keyword_option("report", ReportOpt, None),
    ],
    lambda values: SecurityPictures(**values),
    what="picture",
)


@handle_errors
@with_threshold_options
@with_picture_options
def security(
    date: Annotated[
        str | None,
        typer.Option("--date", help="Screen day (UTC); default the last day of the PoW data."),
    ] = None,
    assets: Annotated[
        str | None, typer.Option("--assets", help="Coins to report, e.g. BTC,BCH,ADA.")
    ] = None,
    output_format: Annotated[
        SecurityFormat,
        typer.Option("--format", help="table (readable), json, or csv (one row per coin)."),
    ] = SecurityFormat.TABLE,
    *,
    thresholds: PowRiskThresholds,
    crypto51: Annotated[
        Path | None,
        typer.Option("--crypto51", help="crypto51 table (.csv in its format, or a saved .html)."),
    ] = None,
    crypto51_date: Annotated[
        str | None,
        typer.Option("--crypto51-date", help="Day the crypto51 table describes (default --date)."),
    ] = None,
    pictures: SecurityPictures,
    compare_hash: Annotated[
        str | None,
        typer.Option("--compare-hash", help="Hash rates of coins of ONE algorithm, relative."),
    ] = None,
) -> None:
    """Screen proof-of-work coins for 51%-attack risk on one date, point in time.

    Security budget = miner revenue (issuance + fees, USD) per hour, the proxy for renting the
    network's hash for an hour (Budish 2018; crypto51.app). Coins are ranked by their residual
    from the log-log trend of budget on market cap (below 0: cheap to attack for their size);
    the danger zone is any threshold crossed. Only data up to --date is read, with the
    algorithm in force then. Proof-of-stake coins are out of scope (reported as not screened).

    Examples:

      cryptofolio security --date 2019-06-01

      cryptofolio security --date 2018-01-01 --assets BTC,BCH,BTG,ADA --format json

      cryptofolio security --date 2020-07-27 --min-hash-share 0.05 --plot screen.png --residual-plot residuals.png
    """
    data = load_pow_data()
    day = date or f"{data.last_day:%Y-%m-%d}"
    snapshot = read_crypto51(crypto51, crypto51_date) if crypto51 is not None else None
    result = screen_pow_risk(
        day, data=data, thresholds=thresholds, assets=parse_symbols(assets), crypto51=snapshot
    )
    doc = result.to_json_dict()
    if compare_hash:
        rel = compare_hash_rates(data, parse_symbols(compare_hash) or [], result.date)
        doc["hash_rate_relative"] = {str(k): float(v) for k, v in rel.items()}
    if output_format is SecurityFormat.JSON:
        typer.echo(json.dumps(doc, indent=2))
    elif output_format is SecurityFormat.CSV:
        echo_csv(doc["coins"])
    else:
        print_screen(result, console)
        for sym, v in doc.get("hash_rate_relative", {}).items():
            console.print(f"hash rate {sym}: {v:.2%} of the largest", highlight=False)
    _pictures(result, pictures, thresholds)


def _pictures(
    result: ScreenResult, pictures: SecurityPictures, thresholds: PowRiskThresholds
) -> None:
    plot, residual_plot, report = pictures.plot, pictures.residual_plot, pictures.report
    from cryptofolio.report.security_plots import (
        plot_residual_history,
        plot_security_scatter,
        security_report_html,
    )
    from cryptofolio.security.history import residual_history

    if plot is not None:
        plot_security_scatter(result, colour=pictures.colour, path=plot)
        err_console.print(f"picture written to {plot}", highlight=False, markup=False)
    if residual_plot is not None:
        history = residual_history(window_days=thresholds.window_days)
        history = history[history["date"] <= result.date]
        plot_residual_history(history, threshold=thresholds.min_residual, path=residual_plot)
        err_console.print(f"picture written to {residual_plot}", highlight=False, markup=False)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(report, security_report_html(result))
        err_console.print(f"report: {report}", highlight=False, markup=False)


# ----------------------------------------------------------------------------------------
# --exclude-pow-risk of backtest and optimize
# ----------------------------------------------------------------------------------------


def pow_filtered(strategies: list, until: pd.Timestamp) -> list:
    """``backtest --exclude-pow-risk``: each strategy wrapped in the screen's filter (fails
    at once when the PoW data cannot screen the last decision ``until``)."""
    return with_pow_risk_filter(strategies, until=until)


def backtest_pow_report(strategies: list) -> dict[str, Any]:
    """The ``pow_risk`` record of ``backtest --format json`` (excluded coins and why)."""
    return exclusion_report(strategies)


def print_backtest_pow_report(strategies: list, out: Console) -> None:
    """Per excluded coin: decisions excluded, first and last date, the latest reason."""
    report = exclusion_report(strategies)
    if not report["summary"]:
        out.print("--exclude-pow-risk: no coin was in the danger zone", highlight=False)
    for s in report["summary"]:
        out.print(
            f"[bold red]excluded[/] {s['asset']} at {s['decisions']} decision(s), "
            f"{s['first'][:10]} to {s['last'][:10]}: {escape(str(s['reason']))}",
            highlight=False,
        )
    for asset, reason in report["not_screened"].items():
        out.print(f"[yellow]not screened[/] {asset}: {escape(str(reason))}", highlight=False)


def optimize_pow_exclusions(assets: list[str], end: pd.Timestamp) -> PowExclusions:
    """``optimize --exclude-pow-risk``: the screen at the window's last row ``end`` (it reads
    the last day complete then)."""
    try:
        return pow_risk_exclusions(assets, end)
    except SecurityError as exc:
        raise SecurityError(
            f"--exclude-pow-risk on the window ending {end:%Y-%m-%d}: {exc}; set --end inside "
            "the PoW data or drop --exclude-pow-risk"
        ) from exc


def print_pow_exclusions(excluded: PowExclusions, out: Console) -> None:
    """The excluded coins and why, and the coins not screened."""
    day = f"{excluded.day:%Y-%m-%d}" if excluded.day is not None else "?"
    if not excluded:
        out.print(f"--exclude-pow-risk: no coin in the danger zone on {day}", highlight=False)
    for asset, reason in excluded.items():
        out.print(
            f"[bold red]excluded[/] {asset} (screen of {day}): {escape(str(reason))}",
            highlight=False,
        )
    for asset, reason in excluded.not_screened.items():
        out.print(f"[yellow]not screened[/] {asset}: {escape(str(reason))}", highlight=False)
    for note in excluded.notes:
        out.print(f"note: {note}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio security`` to ``app``."""
    app.command("security")(security)
