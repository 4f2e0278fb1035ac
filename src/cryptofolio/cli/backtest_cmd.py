"""``cryptofolio backtest``: walk-forward backtest of optimiser strategies and benchmarks with
trading costs, printed as a table or JSON, with optional CSV/Parquet output and an HTML report.

A thin shell: options (grouped in :mod:`cryptofolio.cli.backtest_options`) -> strategies and a
:class:`~cryptofolio.backtest.BacktestConfig` -> :func:`cryptofolio.backtest.run_backtest` under
a progress bar -> tables (:mod:`cryptofolio.cli.backtest_tables`), JSON, files, report.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cryptofolio.cli.allocator_options import AllocatorOptions, with_allocator_options
from cryptofolio.cli.backtest_options import (
    DEFAULT_STRATEGIES,
    BacktestFormat,
    BacktestOutput,
    FileFormat,
    Simulation,
    StrategiesOpt,
    StrategyOptions,
    with_output_options,
    with_simulation_options,
    with_strategy_options,
)
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.option_group import option_given
from cryptofolio.cli.options import DataOptions, with_data_options
from cryptofolio.cli.portfolio_options import (
    PortfolioOption,
    apply_given_options,
    given_portfolio_options,
    refuse_given_returns,
    with_portfolio_options,
)
from cryptofolio.cli.security_cmd import ExcludePowRiskOpt
from cryptofolio.cli.views_options import ViewsOptions, with_views_options
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import PortfolioConfig

if TYPE_CHECKING:
    import pandas as pd

    from cryptofolio.backtest import BacktestConfig, BacktestResult
    from cryptofolio.backtest.trees import DecisionTree

console = Console()
err_console = Console(stderr=True)

__all__ = [
    "DEFAULT_STRATEGIES",
    "BacktestFormat",
    "FileFormat",
    "backtest",
    "build_strategies",
    "register",
]


def build_strategies(
    names: list[str],
    config: PortfolioConfig,
    *,
    given: Collection[PortfolioOption] = (),
    options: StrategyOptions = StrategyOptions(),
) -> list:
    """Strategies from names: optimiser objectives get ``config`` (and the turnover options);
    benchmarks get their own options.

    ``lstm-mvo`` keeps its own optimiser defaults (max-utility, long-only, ``w <= 0.3``) except
    where the user gave an option: the fields of the options in ``given`` come from ``config``
    (e.g. ``--max-weight 0.5``); it gets the turnover options like the other optimisers.
    """
    import cryptofolio.forecast  # noqa: F401  (registers lstm-mvo)
    from cryptofolio.backtest import make_strategy
    from cryptofolio.backtest.strategies import parse_weights
    from cryptofolio.optimize import objective_names

    objectives = set(objective_names())
    turnover = dict(transaction_cost=options.turnover_penalty, max_turnover=options.max_turnover)
    out = []
    for name in names:
        if name in objectives:
            out.append(make_strategy(name, config=config, **turnover))
        elif name == "lstm-mvo":
            # the registered factory's own config is the base
            own = make_strategy(name).config
            out.append(
                make_strategy(name, config=apply_given_options(own, config, given), **turnover)
            )
        elif name == "market-cap":
            out.append(make_strategy(name, max_weight=options.market_cap_max_weight))
        elif name == "fixed-weights":
            if not options.fixed_weights:
                raise BacktestError(
                    "strategy fixed-weights needs --fixed-weights, e.g. BTC=0.6,ETH=0.4"
                )
            out.append(
                make_strategy(
                    name,
                    weights=parse_weights(options.fixed_weights),
                    normalize=options.normalize_weights,
                )
            )
        else:
            out.append(make_strategy(name))
    return out


@handle_errors
@with_data_options
@with_portfolio_options(exclude={PortfolioOption.OBJECTIVE})
@with_allocator_options
@with_simulation_options
@with_strategy_options
@with_views_options
@with_output_options
def backtest(
    ctx: typer.Context,
    *,
    data: DataOptions,
    strategies: StrategiesOpt = DEFAULT_STRATEGIES,
    config: PortfolioConfig,
    allocator: AllocatorOptions,
    simulation: Simulation,
    strategy_options: StrategyOptions,
    black_litterman: ViewsOptions,
    output: BacktestOutput,
    exclude_pow_risk: ExcludePowRiskOpt = False,
) -> None:
    """Walk-forward backtest of portfolio strategies after trading costs.

    At each rebalance every strategy sees only data strictly before that date (a rolling or
    expanding --lookback window of rows) and trades at that row's close, paying commission and
    slippage. --start is the first decision date: the lookback comes from the data before it.
    Assets join once they have a full clean lookback; a held asset whose data stops is sold at
    its last price (costs charged, event recorded). With --expected-returns black-litterman
    the prior of each rebalance comes from the market caps of the last row before it.

    Examples:

      cryptofolio backtest --assets BTC,ETH,BNB,XRP,ADA,SOL --start 2021-01-01 --rebalance weekly --slippage sqrt

      cryptofolio backtest --strategies min-variance,equal-weight,btc-hold --rebalance monthly --lookback 180 --format json

      cryptofolio backtest --assets BTC,ETH,SOL --start 2022-01-01 --strategies max-sharpe,market-cap --expected-returns black-litterman --views examples/views.toml --market-risk-aversion 2.5

      cryptofolio backtest --assets BTC,ETH,LTC --strategies max-sharpe,fixed-weights --fixed-weights BTC=0.6,ETH=0.4 --on-failure hold --report report.html --output-dir out/
    """
    from cryptofolio.backtest import runnable_strategies
    from cryptofolio.data import to_panels
    from cryptofolio.output_paths import check_output_dir, check_output_file

    if output.report is not None:  # before the work: a finished backtest is not thrown away
        check_output_file(output.report, "--report")
    if output.output_dir is not None:
        check_output_dir(output.output_dir, "--output-dir")
    if output.returns_csv is not None:
        check_output_file(output.returns_csv, "--returns-csv")
    bt_config = simulation.config(data.start, data.end, config.periods_per_year)
    refuse_given_returns(config, "backtest")
    config = black_litterman.apply(config)
    names = [n.strip() for n in strategies.split(",") if n.strip()]
    if not names:
        raise BacktestError("--strategies is empty; e.g. --strategies min-variance,equal-weight")
    config = allocator.apply(config, names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        strategy_objects = build_strategies(
            names, config, given=given_portfolio_options(ctx), options=strategy_options
        )
        # the whole history up to --end is loaded: rows before --start feed the lookback
        panels = to_panels(data.load(start=None))
        if not option_given(ctx, "strategies"):  # nobody chose them: run what the data can
            strategy_objects = runnable_strategies(panels, strategy_objects)
        if exclude_pow_risk:
            from cryptofolio.cli.security_cmd import pow_filtered

            strategy_objects = pow_filtered(strategy_objects, panels.close.index[-1])
        try:
            result = _run_with_progress(panels, strategy_objects, bt_config)
        finally:
            warned = _print_warnings(caught)
    trees = None
    if output.report is not None:
        from cryptofolio.backtest.trees import last_decision_trees

        trees = last_decision_trees(result, strategy_objects, panels)
    _write_outputs(
        result,
        output,
        config.risk_free_rate,
        strategy_objects if exclude_pow_risk else None,
        prices=panels.close,
        warned=warned,
        trees=trees,
    )


def _print_warnings(caught: list) -> list[str]:
    """Library warnings summarised on stderr (see ``warning_summary``); the same lines are
    returned for the JSON output."""
    from cryptofolio.cli.backtest_tables import warning_summary

    lines = warning_summary(caught)
    for line in lines:
        err_console.print(f"[yellow]warning[/] {escape(line)}", highlight=False)
    return lines


def _run_with_progress(panels, strategies: list, config: BacktestConfig) -> BacktestResult:
    """Run the backtest under a progress bar on stderr."""
    import cryptofolio.backtest as backtest_stage

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
            total = p.total * len(strategies) if p.total else None
            bar.update(task, advance=1, total=total, description=p.strategy)

        return backtest_stage.run_backtest(panels, strategies, config, progress=on_progress)


def _write_outputs(
    result: BacktestResult,
    output: BacktestOutput,
    risk_free_rate: float,
    pow_filters: list | None = None,
    prices: pd.DataFrame | None = None,
    *,
    warned: Collection[str] = (),
    trees: Mapping[str, DecisionTree] | None = None,
) -> None:
    """The metrics on stdout as tables or JSON (with the warnings, notes and events, and the
    proof-of-work exclusions of ``pow_filters``, the strategies of --exclude-pow-risk), then
    the files, daily returns and report (paths on stderr); ``prices``, the close panel, gives
    the report its beta to BTC and the assets' correlations; ``trees`` its dendrograms."""
    from cryptofolio.backtest.metrics import metrics_json
    from cryptofolio.cli.backtest_tables import event_records, event_summary, metrics_rich_tables

    if output.output_format is BacktestFormat.CSV:  # warnings went to stderr already
        from cryptofolio.cli.csv_output import echo_csv, keyed_records

        echo_csv(keyed_records(metrics_json(result, risk_free_rate)["strategies"], "strategy"))
    elif output.output_format is BacktestFormat.JSON:
        doc = metrics_json(result, risk_free_rate)
        doc["warnings"] = list(warned)
        doc["notes"] = event_summary(result)
        doc["events"] = event_records(result)
        if pow_filters is not None:
            from cryptofolio.cli.security_cmd import backtest_pow_report

            doc["pow_risk"] = backtest_pow_report(pow_filters)
        typer.echo(json.dumps(doc, indent=2))
    else:
        for table in metrics_rich_tables(result, risk_free_rate):
            console.print(table)
        for line in event_summary(result):
            console.print(line, markup=False)
        if pow_filters is not None:
            from cryptofolio.cli.security_cmd import print_backtest_pow_report

            print_backtest_pow_report(pow_filters, console)
    _write_files(result, output, prices, trees or {})


def _write_files(
    result: BacktestResult,
    output: BacktestOutput,
    prices: pd.DataFrame | None,
    trees: Mapping[str, DecisionTree],
) -> None:
    """The files and the report, after the results are printed: a failed write names its
    path and loses nothing already shown."""
    from cryptofolio.errors import OutputPathError

    if output.output_dir is not None:
        try:
            written = result.write(output.output_dir, output.file_format.value)
        except OSError as exc:
            raise OutputPathError(
                f"--output-dir {output.output_dir}: cannot write {exc.filename or ''}: "
                f"{exc.strerror or exc} (the results above are complete)"
            ) from exc
        err_console.print(f"wrote {len(written)} files to {escape(str(output.output_dir))}")
    if output.returns_csv is not None:
        try:
            path = result.write_daily_returns(output.returns_csv)
        except OSError as exc:
            raise OutputPathError(
                f"--returns-csv {output.returns_csv}: cannot write: {exc.strerror or exc} "
                "(the results above are complete)"
            ) from exc
        err_console.print(f"daily returns: {escape(str(path))}")
    if output.report is not None:
        from cryptofolio.report.backtest_report import ReportOptions, write_backtest_report

        options = ReportOptions(plotly=output.plotly, prices=prices, cluster_trees=trees)
        try:
            path = write_backtest_report(result, output.report, options=options)
        except OSError as exc:
            raise OutputPathError(
                f"--report {output.report}: cannot write: {exc.strerror or exc} (the results "
                "above are complete)"
            ) from exc
        err_console.print(f"report: {escape(str(path))}")


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio backtest`` to ``app``."""
    app.command("backtest")(backtest)
