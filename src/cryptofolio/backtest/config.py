"""How to run a backtest: :class:`BacktestConfig` (schedule, lookback window, capital, costs,
dates, failure policy) and its option Enums."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from cryptofolio.backtest.schedule import Schedule, parse_schedule
from cryptofolio.costs import CostModel
from cryptofolio.errors import BacktestError
from cryptofolio.magnitudes import MAX_MONEY, check_amount


class WindowKind(StrEnum):
    """Estimation window: the last ``lookback`` rows, or every clean row so far."""

    ROLLING = "rolling"
    EXPANDING = "expanding"


class FailurePolicy(StrEnum):
    """What to do when a strategy fails on a date."""

    RAISE = "raise"  # BacktestError naming the strategy and the date
    HOLD = "hold"  # keep the current holdings (no trade) and record a fallback event
    CASH = "cash"  # sell everything into cash and record a fallback event


@dataclass(frozen=True)
class BacktestConfig:
    """How to run a backtest.

    Parameters
    ----------
    rebalance
        Schedule, or its text form (``daily``, ``weekly``, ``monthly``, ``7d``, ``drift:0.05``).
    lookback
        Estimation window in rows of the data (365 = one year of daily data). An asset is
        eligible once it has this many consecutive positive, finite closes before the decision.
    window
        :class:`WindowKind`: rolling (the last ``lookback`` rows) or expanding (every row since
        the youngest eligible asset's clean history began).
    initial_capital
        Starting cash, quote currency.
    costs
        The :class:`~cryptofolio.costs.CostModel` charged on every trade.
    start, end
        First decision time and last row simulated (UTC, inclusive); data before ``start`` is
        used for the lookback. ``None``: as early / late as the data allows.
    on_failure
        :class:`FailurePolicy` when a strategy raises a library error on a date. Default
        ``hold``: the previous weights are kept and the date is recorded as a fallback event
        (max-Sharpe has no solution on a date where no asset's estimated return beats the
        risk-free rate, as on many dates of the 2022 bear market); ``raise`` stops there.
    periods_per_year
        Annualisation of the metrics; ``None`` infers it (365 daily, 8760 hourly).
    """

    rebalance: Schedule | str = "weekly"
    lookback: int = 365
    window: WindowKind = WindowKind.ROLLING
    initial_capital: float = 10_000.0
    costs: CostModel = field(default_factory=CostModel)
    start: str | pd.Timestamp | None = None
    end: str | pd.Timestamp | None = None
    on_failure: FailurePolicy = FailurePolicy.HOLD
    periods_per_year: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.lookback, bool) or int(self.lookback) != self.lookback:
            raise BacktestError(f"lookback must be a whole number of rows, got {self.lookback}")
        if self.lookback < 2:
            raise BacktestError(
                f"lookback must be at least 2 rows (one return), got {self.lookback}"
            )
        check_amount(
            self.initial_capital,
            "initial capital (--initial-capital)",
            error=BacktestError,
            limit=MAX_MONEY,
        )
        object.__setattr__(self, "window", WindowKind(self.window))
        object.__setattr__(self, "on_failure", FailurePolicy(self.on_failure))

    @property
    def schedule(self) -> Schedule:
        """The parsed rebalance :class:`Schedule`."""
        return parse_schedule(self.rebalance)
