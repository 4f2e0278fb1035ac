"""``cryptofolio backtest``: walk-forward backtest of optimiser strategies and benchmarks with
trading costs, printed as a table or JSON, with optional CSV/Parquet output and an HTML report."""

from __future__ import annotations

import json
import warnings
from collections.abc import Collection
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.options import (
    AssetsOpt,
    DataDirOpt,
    DatasetOpt,
    EndOpt,
    PricesOpt,
    StartOpt,
    load_from_options,
)
from cryptofolio.cli.portfolio_options import (
    PortfolioOption,
    apply_given_options,
    given_portfolio_options,
    with_portfolio_options,
)
from cryptofolio.cli.security_cmd import ExcludePowRiskOpt
from cryptofolio.costs import CostModel, FeeSide, ZeroVolumePolicy, parse_slippage
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import PortfolioConfig

console = Console()
err_console = Console(stderr=True)

DEFAULT_STRATEGIES = "min-variance,max-sharpe,max-utility,equal-weight,market-cap,btc-hold"


class BacktestFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


def build_strategies(
    names: list[str],
    config: PortfolioConfig,
    *,
    given: Collection[PortfolioOption] = (),
    turnover_penalty: bool = False,
    max_turnover: float | None = None,
    market_cap_max_weight: float | None = None,
    fixed_weights: str | None = None,
) -> list:
    """Strategies from names: optimiser objectives get ``config`` (and the turnover options);
    benchmarks get their own options.

    ``lstm-mvo`` keeps its own optimiser defaults (max-utility, long-only, ``w <= 0.3``) except
    where the user gave an option: the fields of the options in ``given`` come from ``config``
    (e.g. ``--max-weight 0.5``); it gets the turnover options like the other optimisers.
    """
    from cryptofolio.backtest import make_strategy
    from cryptofolio.backtest.strategies import parse_weights
    from cryptofolio.optimize import Objective

    objectives = {o.value for o in Objective}
    out = []
    for name in names:
        if name in objectives:
            out.append(
                make_strategy(
                    name,
                    config=config,
                    transaction_cost=turnover_penalty,
                    max_turnover=max_turnover,
                )
            )
        elif name == "lstm-mvo":
            # the registered factory's own config (no torch needed to build it) is the base
            own = make_strategy(name).config
            out.append(
                make_strategy(
                    name,
                    config=apply_given_options(own, config, given),
                    transaction_cost=turnover_penalty,
                    max_turnover=max_turnover,
                )
            )
        elif name == "market-cap":
            out.append(make_strategy(name, max_weight=market_cap_max_weight))
        elif name == "fixed-weights":
            if not fixed_weights:
                raise BacktestError(
                    "strategy fixed-weights needs --fixed-weights, e.g. BTC=0.6,ETH=0.4"
                )
            out.append(make_strategy(name, weights=parse_weights(fixed_weights)))
        else:
            out.append(make_strategy(name))
    return out


@handle_errors
@with_portfolio_options(exclude={PortfolioOption.OBJECTIVE})
def backtest(
    ctx: typer.Context,
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies",
            help="Comma-separated: optimiser objectives (min-variance, max-sharpe, max-utility, "
            "efficient-return, efficient-risk, min-semivariance, min-cvar), equal-weight, "
            "market-cap, btc-hold, fixed-weights, lstm-mvo (needs the forecast extra).",
        ),
    ] = DEFAULT_STRATEGIES,
    *,
    config: PortfolioConfig,
    rebalance: Annotated[
        str,
        typer.Option(
            "--rebalance",
            help="daily, weekly, monthly, Nd (every N days), Nh, Np (every N rows) or drift:X "
            "(when a weight drifts more than X from its target).",
        ),
    ] = "weekly",
    lookback: Annotated[
        int, typer.Option("--lookback", min=2, help="Estimation window in rows (365 = 1y daily).")
    ] = 365,
    window: Annotated[
        str, typer.Option("--window", help="rolling (last --lookback rows) or expanding.")
    ] = "rolling",
    fee_bps: Annotated[
        float, typer.Option("--fee-bps", min=0, help="Taker commission, bps of traded notional.")
    ] = 10.0,
    maker_fee_bps: Annotated[
        float | None,
        typer.Option("--maker-fee-bps", min=0, help="Maker commission (bps); default --fee-bps."),
    ] = None,
    fee_side: Annotated[
        FeeSide, typer.Option("--fee-side", help="Which commission applies: taker or maker.")
    ] = FeeSide.TAKER,
    slippage: Annotated[
        str,
        typer.Option(
            "--slippage",
            help="none, fixed:BPS, or sqrt (impact = k·sqrt(trade / daily volume)).",
        ),
    ] = "none",
    impact_coefficient: Annotated[
        float, typer.Option("--impact-coefficient", min=0, help="k of the sqrt impact law.")
    ] = 0.1,
    min_notional: Annotated[
        float,
        typer.Option("--min-notional", min=0, help="Skip (and report) trades smaller than this."),
    ] = 0.0,
    zero_volume: Annotated[
        ZeroVolumePolicy,
        typer.Option("--zero-volume", help="sqrt model on zero volume: raise, or skip the trade."),
    ] = ZeroVolumePolicy.RAISE,
    initial_capital: Annotated[
        float, typer.Option("--initial-capital", min=0, help="Starting cash (quote currency).")
    ] = 10_000.0,
    on_failure: Annotated[
        str,
        typer.Option(
            "--on-failure",
            help="A strategy failing on a date: raise (error naming the date), hold (keep the "
            "previous weights, recorded) or cash (sell all, recorded).",
        ),
    ] = "raise",
    turnover_penalty: Annotated[
        bool,
        typer.Option(
            "--turnover-penalty/--no-turnover-penalty",
            help="Optimisers pay the cost model's L1 trading cost against current weights.",
        ),
    ] = False,
    max_turnover: Annotated[
        float | None,
        typer.Option("--max-turnover", min=0, help="Cap on Σ|Δw| per rebalance (optimisers)."),
    ] = None,
    market_cap_max_weight: Annotated[
        float | None,
        typer.Option("--market-cap-max-weight", help="Cap per asset of the market-cap strategy."),
    ] = None,
    fixed_weights: Annotated[
        str | None,
        typer.Option("--fixed-weights", help="Weights of fixed-weights, e.g. BTC=0.6,ETH=0.4."),
    ] = None,
    output_format: Annotated[
        BacktestFormat, typer.Option("--format", help="table (readable) or json.")
    ] = BacktestFormat.TABLE,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Write equity curves, weights, trades, events here."),
    ] = None,
    file_format: Annotated[
        FileFormat, typer.Option("--file-format", help="Format of --output-dir files.")
    ] = FileFormat.CSV,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    exclude_pow_risk: ExcludePowRiskOpt = False,
) -> None:
    """Walk-forward backtest of portfolio strategies after trading costs.

    At each rebalance every strategy sees only data strictly before that date (a rolling or
    expanding --lookback window of rows) and trades at that row's close, paying commission and
    slippage. --start is the first decision date: the lookback comes from the data before it.
    Assets join once they have a full clean lookback; a held asset whose data stops is sold at
    its last price (costs charged, event recorded).

    Examples:

      cryptofolio backtest --assets BTC,ETH,BNB,XRP,ADA,SOL --start 2021-01-01 --rebalance weekly --slippage sqrt

      cryptofolio backtest --strategies min-variance,equal-weight,btc-hold --rebalance monthly --lookback 180 --format json

      cryptofolio backtest --assets BTC,ETH,LTC --strategies max-sharpe,fixed-weights --fixed-weights BTC=0.6,ETH=0.4 --on-failure hold --report report.html --output-dir out/
    """
    from cryptofolio.backtest import BacktestConfig, run_backtest
    from cryptofolio.backtest.display import event_summary, metrics_rich_tables
    from cryptofolio.data import to_panels

    kind, slip_bps = parse_slippage(slippage)
    costs = CostModel(
        fee_bps=fee_bps,
        slippage=kind,
        slippage_bps=slip_bps,
        impact_coefficient=impact_coefficient,
        maker_fee_bps=maker_fee_bps,
        fee_side=fee_side,
        min_notional=min_notional,
        zero_volume=zero_volume,
    )
    try:
        bt_config = BacktestConfig(
            rebalance=rebalance,
            lookback=lookback,
            window=window,
            initial_capital=initial_capital,
            costs=costs,
            start=start,
            end=end,
            on_failure=on_failure,
            periods_per_year=config.periods_per_year,
        )
    except ValueError as exc:  # bad enum text
        raise BacktestError(
            f"{exc}; --window is rolling|expanding, --on-failure is raise|hold|cash"
        ) from exc
    _ = bt_config.schedule
    names = [n.strip() for n in strategies.split(",") if n.strip()]
    if not names:
        raise BacktestError("--strategies is empty; e.g. --strategies min-variance,equal-weight")
    strategy_objects = build_strategies(
        names,
        config,
        given=given_portfolio_options(ctx),
        turnover_penalty=turnover_penalty,
        max_turnover=max_turnover,
        market_cap_max_weight=market_cap_max_weight,
        fixed_weights=fixed_weights,
    )
    # the whole history up to --end is loaded: rows before --start feed the lookback
    long = load_from_options(dataset, prices, assets, None, end, data_dir)
    panels = to_panels(long)
    if exclude_pow_risk:
        from cryptofolio.cli.security_cmd import pow_filtered

        strategy_objects = pow_filtered(strategy_objects, panels.close.index[-1])
    with Progress(
        TextColumn("[bold]backtest[/] {task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_progress(p) -> None:
            total = p.total * len(strategy_objects) if p.total else None
            bar.update(task, advance=1, total=total, description=p.strategy)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_backtest(panels, strategy_objects, bt_config, progress=on_progress)
    _report_warnings(caught)

    if output_dir is not None:
        written = result.write(output_dir, file_format.value)
        err_console.print(f"wrote {len(written)} files to {output_dir}")
    if report is not None:
        from cryptofolio.report.backtest_report import write_backtest_report

        path = write_backtest_report(result, report)
        err_console.print(f"report: {path}")
    if output_format is BacktestFormat.JSON:
        doc = result.to_json_dict(config.risk_free_rate)
        if exclude_pow_risk:
            from cryptofolio.cli.security_cmd import backtest_pow_report

            doc["pow_risk"] = backtest_pow_report(strategy_objects)
        typer.echo(json.dumps(doc, indent=2))
        return
    for table in metrics_rich_tables(result, config.risk_free_rate):
        console.print(table)
    for line in event_summary(result):
        console.print(line)
    if exclude_pow_risk:
        from cryptofolio.cli.security_cmd import print_backtest_pow_report

        print_backtest_pow_report(strategy_objects, console)


def _report_warnings(caught: list[warnings.WarningMessage]) -> None:
    from cryptofolio.backtest.display import warning_summary

    for line in warning_summary(caught):
        err_console.print(f"[yellow]warning[/] {line}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio backtest`` to ``app``."""
    app.command("backtest")(backtest)
