"""The backtest section of ``cryptofolio demo``: a weekly-rebalanced walk-forward backtest of the
bundled daily large caps with 10 bps fees and square-root slippage."""

from __future__ import annotations

from collections.abc import Callable

from cryptofolio.backtest.config import BacktestConfig, FailurePolicy
from cryptofolio.backtest.engine import Progress, run_backtest
from cryptofolio.backtest.results import BacktestResult
from cryptofolio.backtest.strategies import make_strategy
from cryptofolio.costs import CostModel, Slippage
from cryptofolio.data import load_dataset, to_panels

#: Large caps of the bundled coingecko-daily data with clean history before 2019 (SOL joins
#: once it has a year of data; DOGE's data stops on 2022-09-10 and is liquidated then).
DEMO_BACKTEST_ASSETS: tuple[str, ...] = (
    "BTC",
    "ETH",
    "BNB",
    "XRP",
    "ADA",
    "SOL",
    "DOGE",
    "LTC",
    "LINK",
    "TRX",
    "BCH",
)
DEMO_BACKTEST_STRATEGIES: tuple[str, ...] = (
    "min-variance",
    "max-sharpe",
    "max-utility",
    "equal-weight",
    "market-cap",
    "btc-hold",
)
DEMO_FIRST_DECISION = "2019-01-01"
DEMO_DATA_START = "2017-11-01"  # after BNB's bogus pre-2017-10-30 prices


def demo_config() -> BacktestConfig:
    """Weekly, one-year rolling lookback, 10 bps taker fee + square-root impact, $10,000.

    A strategy that cannot solve on a date (max-Sharpe when no asset's expected return beats
    the risk-free rate, as in the 2022 bear market) holds its previous weights; each such date
    is recorded and counted under the table.
    """
    return BacktestConfig(
        rebalance="weekly",
        lookback=365,
        initial_capital=10_000.0,
        costs=CostModel(fee_bps=10.0, slippage=Slippage.SQRT, impact_coefficient=0.1),
        start=DEMO_FIRST_DECISION,
        on_failure=FailurePolicy.HOLD,
    )


def run_backtest_demo(progress: Callable[[Progress], None] | None = None) -> BacktestResult:
    """Run the demo backtest: :data:`DEMO_BACKTEST_STRATEGIES` on :data:`DEMO_BACKTEST_ASSETS`
    of the bundled ``coingecko-daily`` data (from :data:`DEMO_DATA_START`) with
    :func:`demo_config`.

    ``progress`` is called after each rebalance of each strategy (see
    :func:`~cryptofolio.backtest.run_backtest`). The CLI's ``cryptofolio demo`` prints the
    metrics and writes the HTML report.
    """
    panels = to_panels(
        load_dataset("coingecko-daily", symbols=list(DEMO_BACKTEST_ASSETS), start=DEMO_DATA_START)
    )
    strategies = [make_strategy(name) for name in DEMO_BACKTEST_STRATEGIES]
    return run_backtest(panels, strategies, demo_config(), progress=progress)
