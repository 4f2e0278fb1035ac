"""The options of ``cryptofolio sweep``, in option groups: the data, the grid, the out-of-sample
validation, the base backtest, where the sweep runs, its outputs and its time budget. Each
group reaches the command as one frozen value (see :mod:`cryptofolio.cli.option_group`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer

from cryptofolio.backtest.config import FailurePolicy
from cryptofolio.cli.backtest_options import checked_schedule
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import data_source_options, load_from_options
from cryptofolio.cli.report_options import PlotlyOpt
from cryptofolio.cli.slippage_option import (
    NO_SLIPPAGE,
    SlippageChoice,
    resolved_slippage,
    slippage_option,
)
from cryptofolio.costs import CostModel
from cryptofolio.errors import BacktestError
from cryptofolio.report.html_page import PlotlyJs

if TYPE_CHECKING:
    from cryptofolio.backtest import BacktestConfig


class SweepFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class SweepData:
    """The data options of a sweep: a dataset name or a prices file, the assets
    (comma-separated text), the dates (UTC) and the local store."""

    dataset: str | None = None
    prices: Path | None = None
    assets: str | None = None
    start: str | None = None
    end: str | None = None
    data_dir: Path | None = None

    def load(self) -> pd.DataFrame:
        """The long frame of the assets up to ``end``, all the history before it (the backtests
        read the lookback before ``start``)."""
        return load_from_options(
            self.dataset, self.prices, self.assets, None, self.end, self.data_dir
        )


with_sweep_data_options = with_option_group(
    "data",
    data_source_options(),
    lambda values: SweepData(**values),
    what="data",
)

ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="NAME=V1,V2,... repeatable: objective, risk_model, expected_returns, l2, "
        "risk_aversion, lookback, window, rebalance, max_weight, fee_bps, slippage, "
        "impact_coefficient.",
    ),
]
GridOpt = Annotated[
    Path | None, typer.Option("--grid", help="TOML file with [grid] (see examples/sweep.toml).")
]
SampleOpt = Annotated[
    int | None, typer.Option("--sample", min=1, help="Run a random sample of N configurations.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of --sample.")]


@dataclass(frozen=True)
class SweepGrid:
    """What to sweep: ``--param`` texts (``NAME=V1,V2``), a ``--grid`` TOML file, and a random
    ``--sample`` of the grid with its ``--seed``."""

    param: list[str] | None = None
    grid: Path | None = None
    sample: int | None = None
    seed: int = 0

    def pairs(self) -> tuple[list[tuple[str, Any]], dict[str, Any], dict[str, Any]]:
        """The grid (the ``--grid`` file first, then each ``--param`` replacing or adding a
        parameter), and the file's sampling and validation tables."""
        from cryptofolio.backtest.sweep import load_grid, parse_param

        grid: dict[str, Any] = {}
        sampling: dict[str, Any] = {}
        validation: dict[str, Any] = {}
        if self.grid is not None:
            loaded = load_grid(self.grid)
            grid.update(dict(loaded.grid))
            sampling, validation = dict(loaded.sampling), dict(loaded.validation)
        for text in self.param or []:
            name, values = parse_param(text)
            grid[name] = values
        return list(grid.items()), sampling, validation


with_grid_options = with_option_group(
    "sweep_grid",
    [
        keyword_option("param", ParamOpt, None),
        keyword_option("grid", GridOpt, None),
        keyword_option("sample", SampleOpt, None),
        keyword_option("seed", SeedOpt, 0),
    ],
    lambda values: SweepGrid(**values),
    what="grid",
)

FoldsOpt = Annotated[
    int | None,
    typer.Option("--folds", min=2, help="Walk-forward test blocks, or CPCV groups (default 5)."),
]
CpcvOpt = Annotated[
    bool,
    typer.Option("--cpcv/--walk-forward", help="Combinatorial purged CV instead of walk-forward."),
]
TestGroupsOpt = Annotated[
    int | None, typer.Option("--test-groups", min=1, help="CPCV: groups per test set (2).")
]
EmbargoOpt = Annotated[
    int | None,
    typer.Option("--embargo", min=0, help="Rows dropped from training around test blocks (1%)."),
]
CscvBlocksOpt = Annotated[
    int | None, typer.Option("--cscv-blocks", min=2, help="Even number of PBO blocks (16).")
]


@dataclass(frozen=True)
class SweepValidation:
    """The out-of-sample validation options; ``None``: the grid file's value or the default."""

    folds: int | None = None
    cpcv: bool = False
    test_groups: int | None = None
    embargo: int | None = None
    cscv_blocks: int | None = None

    def over(self, table: dict[str, Any]) -> dict[str, Any]:
        """The grid file's ``[validation]`` table with the options given here replacing it."""
        validation = dict(table)
        for key in ("folds", "test_groups", "embargo", "cscv_blocks"):
            value = getattr(self, key)
            if value is not None:
                validation[key] = value
        if self.cpcv:
            validation["method"] = "cpcv"
        return validation


with_validation_options = with_option_group(
    "validation",
    [
        keyword_option("folds", FoldsOpt, None),
        keyword_option("cpcv", CpcvOpt, False),
        keyword_option("test_groups", TestGroupsOpt, None),
        keyword_option("embargo", EmbargoOpt, None),
        keyword_option("cscv_blocks", CscvBlocksOpt, None),
    ],
    lambda values: SweepValidation(**values),
    what="validation",
)

RebalanceOpt = Annotated[
    str,
    typer.Option(
        "--rebalance",
        metavar="SCHEDULE",
        parser=checked_schedule,
        help="Base schedule (as backtest's --rebalance: weekly, 7d, drift:0.05, W-FRI...).",
    ),
]
LookbackOpt = Annotated[int, typer.Option("--lookback", min=2, help="Base lookback.")]
FeeBpsOpt = Annotated[float, typer.Option("--fee-bps", min=0, help="Base commission.")]
SlippageOpt = Annotated[
    SlippageChoice, slippage_option("Base slippage: none, fixed:BPS (e.g. fixed:5), sqrt.")
]
OnFailureOpt = Annotated[
    FailurePolicy,
    typer.Option("--on-failure", help="A strategy failing on a date: hold, cash or raise."),
]
CapitalOpt = Annotated[float, typer.Option("--initial-capital", min=0, help="Starting cash.")]


@dataclass(frozen=True)
class SweepBase:
    """The base backtest every configuration varies: schedule, lookback (rows), commission
    (bps), slippage (``none``, ``fixed:BPS``, ``sqrt``), failure policy and capital."""

    rebalance: str = "weekly"
    lookback: int = 365
    fee_bps: float = 10.0
    slippage: SlippageChoice = NO_SLIPPAGE
    on_failure: FailurePolicy = FailurePolicy.HOLD
    initial_capital: float = 10_000.0

    def config(
        self, start: str | None, end: str | None, periods_per_year: float | None
    ) -> BacktestConfig:
        """The base :class:`~cryptofolio.backtest.BacktestConfig` between ``start`` and ``end``.

        Raises
        ------
        DataError
            A bare ``--slippage fixed`` (without its basis points).
        """
        from cryptofolio.backtest import BacktestConfig

        kind, slip_bps = resolved_slippage(self.slippage)
        return BacktestConfig(
            rebalance=self.rebalance,
            lookback=self.lookback,
            initial_capital=self.initial_capital,
            costs=CostModel(fee_bps=self.fee_bps, slippage=kind, slippage_bps=slip_bps),
            start=start,
            end=end,
            on_failure=self.on_failure,
            periods_per_year=periods_per_year,
        )


with_base_options = with_option_group(
    "base",
    [
        keyword_option("rebalance", RebalanceOpt, "weekly"),
        keyword_option("lookback", LookbackOpt, 365),
        keyword_option("fee_bps", FeeBpsOpt, 10.0),
        keyword_option("slippage", SlippageOpt, NO_SLIPPAGE),
        keyword_option("on_failure", OnFailureOpt, FailurePolicy.HOLD),
        keyword_option("initial_capital", CapitalOpt, 10_000.0),
    ],
    lambda values: SweepBase(**values),
    what="base backtest",
)

WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Local processes (joblib/loky).")]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        envvar="CRYPTOFOLIO_DASK_SCHEDULER",
        help="Dask scheduler address, e.g. tcp://scheduler:8786.",
    ),
]
DaskTimeoutOpt = Annotated[
    float, typer.Option("--dask-timeout", min=0.1, help="Seconds to reach the scheduler.")
]
OutputDirOpt = Annotated[
    Path | None,
    typer.Option("--output-dir", help="Keep results here (resumable); writes the JSON and CSV."),
]
ResumeOpt = Annotated[
    Path | None, typer.Option("--resume", help="Resume the sweep kept in this folder.")
]


@dataclass(frozen=True)
class SweepRunner:
    """Where the sweep runs (local processes or a Dask scheduler, its timeout in seconds) and
    the folder that keeps its results (a new one, ``--output-dir``, or one to ``--resume``)."""

    workers: int = 1
    dask: str | None = None
    dask_timeout: float = 10.0
    output_dir: Path | None = None
    resume: Path | None = None

    def store_dir(self) -> Path | None:
        """The folder that keeps the results, if any.

        Raises
        ------
        BacktestError
            Both ``--output-dir`` and ``--resume``, or ``--resume`` of a folder with no sweep.
        """
        if self.output_dir is not None and self.resume is not None:
            raise BacktestError("give --output-dir or --resume, not both")
        if self.resume is not None and not (self.resume / "sweep.json").exists():
            raise BacktestError(
                f"--resume {self.resume}: no sweep kept there (no sweep.json); start it with "
                "--output-dir"
            )
        return self.resume or self.output_dir


with_runner_options = with_option_group(
    "runner",
    [
        keyword_option("workers", WorkersOpt, 1),
        keyword_option("dask", DaskOpt, None),
        keyword_option("dask_timeout", DaskTimeoutOpt, 10.0),
        keyword_option("output_dir", OutputDirOpt, None),
        keyword_option("resume", ResumeOpt, None),
    ],
    lambda values: SweepRunner(**values),
    what="runner",
)

FormatOpt = Annotated[
    SweepFormat,
    typer.Option("--format", help="table (readable), json, or csv (one row per configuration)."),
]
HeatmapOpt = Annotated[
    tuple[Path, str, str] | None,
    typer.Option("--heatmap", help="PATH PARAM1 PARAM2: PNG of OOS Sharpe over two params."),
]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write the sweep's HTML report.")]


@dataclass(frozen=True)
class SweepOutputs:
    """Where the results go: stdout as a table or JSON, a heatmap PNG of two swept parameters
    (``(path, param1, param2)``), an HTML report and where it takes plotly.js from."""

    output_format: SweepFormat = SweepFormat.TABLE
    heatmap: tuple[Path, str, str] | None = None
    report: Path | None = None
    plotly: PlotlyJs = PlotlyJs.INLINE

    def check_heatmap(self, swept: list[str]) -> None:
        """Raise :class:`BacktestError` if a ``--heatmap`` parameter is not among ``swept``."""
        for name in (self.heatmap or ())[1:]:
            if name.replace("-", "_") not in swept:
                raise BacktestError(
                    f"--heatmap parameter {name!r} is not swept; choose two of: {', '.join(swept)}"
                )


with_sweep_output_options = with_option_group(
    "outputs",
    [
        keyword_option("output_format", FormatOpt, SweepFormat.TABLE),
        keyword_option("heatmap", HeatmapOpt, None),
        keyword_option("report", ReportOpt, None),
        keyword_option("plotly", PlotlyOpt, PlotlyJs.INLINE),
    ],
    lambda values: SweepOutputs(**values),
    what="output",
)

MaxMinutesOpt = Annotated[
    float, typer.Option("--max-minutes", min=0, help="Ask for --yes above this estimate.")
]
YesOpt = Annotated[bool, typer.Option("--yes", help="Run even a sweep estimated to be long.")]


@dataclass(frozen=True)
class SweepBudget:
    """The time a sweep may take without ``--yes`` (minutes, against the estimate after the
    first configuration)."""

    max_minutes: float = 10.0
    yes: bool = False

    @property
    def seconds(self) -> float | None:
        """The budget in seconds; ``None``: no limit (``--yes``)."""
        return None if self.yes else self.max_minutes * 60


with_budget_options = with_option_group(
    "budget",
    [
        keyword_option("max_minutes", MaxMinutesOpt, 10.0),
        keyword_option("yes", YesOpt, False),
    ],
    lambda values: SweepBudget(**values),
    what="budget",
)
