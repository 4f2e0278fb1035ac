"""Options of ``cryptofolio backtest`` (the names are a contract), in three groups that reach the
command as one value each:

* the simulation (``--rebalance`` ... ``--on-failure``, the cost options among them):
  :class:`Simulation`, which becomes a :class:`~cryptofolio.backtest.BacktestConfig` with the
  dates and the annualisation;
* the strategies' own options (``--turnover-penalty`` ... ``--fixed-weights``):
  :class:`StrategyOptions`;
* the outputs (``--format``, ``--output-dir``, ``--file-format``, ``--report``, ``--plotly``,
  ``--returns-csv``): :class:`BacktestOutput`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer

from cryptofolio.backtest.config import FailurePolicy, WindowKind
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.report_options import PlotlyOpt, ReturnsCsvOpt
from cryptofolio.cli.slippage_option import (
    NO_SLIPPAGE,
    SlippageChoice,
    resolved_slippage,
    slippage_option,
)
from cryptofolio.costs import CostModel, FeeSide, ZeroVolumePolicy
from cryptofolio.optimize import objective_names
from cryptofolio.report.html_page import PlotlyJs

if TYPE_CHECKING:
    from cryptofolio.backtest import BacktestConfig

DEFAULT_STRATEGIES = "min-variance,max-sharpe,max-utility,equal-weight,market-cap,btc-hold"


class BacktestFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


StrategiesOpt = Annotated[
    str,
    typer.Option(
        "--strategies",
        help=f"Comma-separated: optimiser objectives ({', '.join(objective_names())}), "
        "equal-weight, market-cap, btc-hold, fixed-weights, lstm-mvo (needs the forecast extra).",
    ),
]


def checked_schedule(text: str) -> str:
    """``--rebalance`` as typed, once :func:`~cryptofolio.backtest.parse_schedule` reads it
    (for typer's ``parser=``: a bad schedule is refused with the command line).

    Raises
    ------
    typer.BadParameter
        A text that is no schedule.
    """
    from cryptofolio.backtest.schedule import parse_schedule
    from cryptofolio.errors import CryptofolioError

    try:
        parse_schedule(text)
    except CryptofolioError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return text


RebalanceOpt = Annotated[
    str,
    typer.Option(
        "--rebalance",
        metavar="SCHEDULE",
        parser=checked_schedule,
        help="daily, weekly, monthly, Nd (every N days), Nh, Np (every N rows), drift:X "
        "(when a weight drifts more than X from its target) or a pandas calendar offset "
        "alias: W-FRI (Fridays), MS (month starts), ME, QS.",
    ),
]
LookbackOpt = Annotated[
    int, typer.Option("--lookback", min=2, help="Estimation window in rows (365 = 1y daily).")
]
WindowOpt = Annotated[
    WindowKind, typer.Option("--window", help="rolling (last --lookback rows) or expanding.")
]
FeeBpsOpt = Annotated[
    float, typer.Option("--fee-bps", min=0, help="Taker commission, bps of traded notional.")
]
MakerFeeOpt = Annotated[
    float | None,
    typer.Option("--maker-fee-bps", min=0, help="Maker commission (bps); default --fee-bps."),
]
FeeSideOpt = Annotated[
    FeeSide, typer.Option("--fee-side", help="Which commission applies: taker or maker.")
]
SlippageOpt = Annotated[SlippageChoice, slippage_option()]
ImpactOpt = Annotated[
    float, typer.Option("--impact-coefficient", min=0, help="k of the sqrt impact law.")
]
MinNotionalOpt = Annotated[
    float,
    typer.Option("--min-notional", min=0, help="Skip (and report) trades smaller than this."),
]
ZeroVolumeOpt = Annotated[
    ZeroVolumePolicy,
    typer.Option("--zero-volume", help="sqrt model on zero volume: raise, or skip the trade."),
]
CapitalOpt = Annotated[
    float, typer.Option("--initial-capital", min=0, help="Starting cash (quote currency).")
]
OnFailureOpt = Annotated[
    FailurePolicy,
    typer.Option(
        "--on-failure",
        help="A strategy failing on a date: hold (keep the previous weights; each date "
        "recorded as a fallback; the default, since max-Sharpe has no solution where no "
        "asset's estimated return beats the risk-free rate), cash (sell all, recorded) or "
        "raise (error naming the date).",
    ),
]
TurnoverPenaltyOpt = Annotated[
    bool,
    typer.Option(
        "--turnover-penalty/--no-turnover-penalty",
        help="Optimisers pay the cost model's L1 trading cost against current weights.",
    ),
]
MaxTurnoverOpt = Annotated[
    float | None,
    typer.Option("--max-turnover", min=0, help="Cap on Σ|Δw| per rebalance (optimisers)."),
]
MarketCapMaxOpt = Annotated[
    float | None,
    typer.Option("--market-cap-max-weight", help="Cap per asset of the market-cap strategy."),
]
FixedWeightsOpt = Annotated[
    str | None,
    typer.Option("--fixed-weights", help="Weights of fixed-weights, e.g. BTC=0.6,ETH=0.4."),
]
NormalizeWeightsOpt = Annotated[
    bool,
    typer.Option(
        "--normalize-weights",
        help="Scale --fixed-weights to sum to 1 (with a note) instead of refusing them.",
    ),
]
FormatOpt = Annotated[
    BacktestFormat,
    typer.Option(
        "--format", help="table (readable), json, or csv (the metrics, one row per strategy)."
    ),
]
OutputDirOpt = Annotated[
    Path | None,
    typer.Option("--output-dir", help="Write equity curves, weights, trades, events here."),
]
FileFormatOpt = Annotated[
    FileFormat, typer.Option("--file-format", help="Format of --output-dir files.")
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
]


@dataclass(frozen=True)
class Simulation:
    """How the backtest simulates: schedule, window (rows), costs, capital (quote currency) and
    the failure policy, as the options gave them (``rebalance`` as text)."""

    rebalance: str
    lookback: int
    window: WindowKind
    costs: CostModel
    initial_capital: float
    on_failure: FailurePolicy

    def config(
        self,
        start: str | pd.Timestamp | None,
        end: str | pd.Timestamp | None,
        periods_per_year: float | None,
    ) -> BacktestConfig:
        """The :class:`BacktestConfig` of this simulation between ``start`` and ``end``.

        Raises
        ------
        BacktestError
            A bad ``--rebalance`` schedule.
        """
        from cryptofolio.backtest import BacktestConfig

        config = BacktestConfig(
            rebalance=self.rebalance,
            lookback=self.lookback,
            window=self.window,
            initial_capital=self.initial_capital,
            costs=self.costs,
            start=start,
            end=end,
            on_failure=self.on_failure,
            periods_per_year=periods_per_year,
        )
        _ = config.schedule  # parse it now: a bad --rebalance fails before any data is read
        return config


@dataclass(frozen=True)
class StrategyOptions:
    """Options of particular strategies: the optimisers' turnover penalty and cap (``Σ|Δw|``
    per rebalance), market-cap's cap per asset, fixed-weights' weights (``BTC=0.6,ETH=0.4``)."""

    turnover_penalty: bool = False
    max_turnover: float | None = None
    market_cap_max_weight: float | None = None
    fixed_weights: str | None = None
    normalize_weights: bool = False


@dataclass(frozen=True)
class BacktestOutput:
    """Where the results go: stdout as a table or JSON; optional files and HTML report."""

    output_format: BacktestFormat = BacktestFormat.TABLE
    output_dir: Path | None = None
    file_format: FileFormat = FileFormat.CSV
    report: Path | None = None
    plotly: PlotlyJs = PlotlyJs.INLINE
    returns_csv: Path | None = None


def _simulation(values: dict[str, Any]) -> Simulation:
    kind, slip_bps = resolved_slippage(values["slippage"])
    costs = CostModel(
        fee_bps=values["fee_bps"],
        slippage=kind,
        slippage_bps=slip_bps,
        impact_coefficient=values["impact_coefficient"],
        maker_fee_bps=values["maker_fee_bps"],
        fee_side=values["fee_side"],
        min_notional=values["min_notional"],
        zero_volume=values["zero_volume"],
    )
    return Simulation(
        rebalance=values["rebalance"],
        lookback=values["lookback"],
        window=values["window"],
        costs=costs,
        initial_capital=values["initial_capital"],
        on_failure=values["on_failure"],
    )


with_simulation_options = with_option_group(
    "simulation",
    [
        keyword_option("rebalance", RebalanceOpt, "weekly"),
        keyword_option("lookback", LookbackOpt, 365),
        keyword_option("window", WindowOpt, WindowKind.ROLLING),
        keyword_option("fee_bps", FeeBpsOpt, 10.0),
        keyword_option("maker_fee_bps", MakerFeeOpt, None),
        keyword_option("fee_side", FeeSideOpt, FeeSide.TAKER),
        keyword_option("slippage", SlippageOpt, NO_SLIPPAGE),
        keyword_option("impact_coefficient", ImpactOpt, 0.1),
        keyword_option("min_notional", MinNotionalOpt, 0.0),
        keyword_option("zero_volume", ZeroVolumeOpt, ZeroVolumePolicy.RAISE),
        keyword_option("initial_capital", CapitalOpt, 10_000.0),
        keyword_option("on_failure", OnFailureOpt, FailurePolicy.HOLD),
    ],
    _simulation,
    what="simulation",
)

with_strategy_options = with_option_group(
    "strategy_options",
    [
        keyword_option("turnover_penalty", TurnoverPenaltyOpt, False),
        keyword_option("max_turnover", MaxTurnoverOpt, None),
        keyword_option("market_cap_max_weight", MarketCapMaxOpt, None),
        keyword_option("fixed_weights", FixedWeightsOpt, None),
        keyword_option("normalize_weights", NormalizeWeightsOpt, False),
    ],
    lambda values: StrategyOptions(**values),
    what="strategy",
)

with_output_options = with_option_group(
    "output",
    [
        keyword_option("output_format", FormatOpt, BacktestFormat.TABLE),
        keyword_option("output_dir", OutputDirOpt, None),
        keyword_option("file_format", FileFormatOpt, FileFormat.CSV),
        keyword_option("report", ReportOpt, None),
        keyword_option("plotly", PlotlyOpt, PlotlyJs.INLINE),
        keyword_option("returns_csv", ReturnsCsvOpt, None),
    ],
    lambda values: BacktestOutput(**values),
    what="output",
)
