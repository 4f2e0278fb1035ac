"""Result types of a backtest: one :class:`StrategyResult` per strategy, gathered in a
:class:`BacktestResult`.

These are data: the measures computed from them are free functions in
:mod:`cryptofolio.backtest.metrics` (``metrics_table(result)``, ``metrics_json(result)``);
:meth:`BacktestResult.metrics` and :meth:`BacktestResult.to_json_dict` are shortcuts to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cryptofolio.atomic_files import atomic_write_bytes, atomic_write_text
from cryptofolio.backtest import metrics
from cryptofolio.errors import BacktestError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from cryptofolio.backtest.config import BacktestConfig


@dataclass(frozen=True)
class StrategyResult:
    """The simulated path of one strategy.

    Attributes
    ----------
    name
        Strategy name.
    equity
        Portfolio value (quote currency) at each timestamp of the simulation, after that row's
        trades and costs.
    returns
        Periodic simple returns of ``equity`` (the first one against the initial capital, so it
        includes the cost of the first trades).
    weights
        End-of-row weights (fractions of portfolio value), one column per asset ever held plus
        ``cash``.
    targets
        The decisions: target weights returned by the strategy at each rebalance (rows =
        rebalance timestamps; a row of NaN where the strategy held, i.e. returned ``None``, or a
        fallback held the previous weights).
    rebalances
        One row per rebalance: ``value_before`` (quote currency), ``turnover`` (sum of |trade|
        over value before, a fraction), ``commission``, ``slippage``, ``costs`` (quote
        currency), ``traded``, ``skipped`` (counts), ``held`` (no trade asked), ``fallback``
        (the strategy failed and the previous weights were held).
    trades
        One row per executed trade: ``timestamp, asset, kind`` (rebalance or liquidation),
        ``notional`` (signed, quote currency), ``units``, ``price``, ``commission``,
        ``slippage``.
    events
        ``timestamp, asset, event, detail``: liquidations when data stops, trades skipped for
        minimum notional or zero volume, solver fallbacks.
    initial_capital
        Starting cash (quote currency).
    """

    name: str
    equity: pd.Series
    returns: pd.Series
    weights: pd.DataFrame
    targets: pd.DataFrame
    rebalances: pd.DataFrame
    trades: pd.DataFrame
    events: pd.DataFrame
    initial_capital: float

    @property
    def total_costs(self) -> float:
        """Commission + slippage paid over the backtest, liquidations included (quote currency)."""
        if self.trades.empty:
            return 0.0
        return float(self.trades["commission"].sum() + self.trades["slippage"].sum())


@dataclass(frozen=True)
class BacktestResult:
    """All strategies of one backtest, run on the same data, schedule and costs.

    ``universe`` lists when assets enter the candidate set (a full clean lookback) and when
    their data stops (``timestamp, asset, event, detail``).
    """

    strategies: Mapping[str, StrategyResult]
    config: BacktestConfig
    universe: pd.DataFrame
    periods_per_year: float
    benchmarks: tuple[str, ...] = ()

    @property
    def start(self) -> pd.Timestamp:
        """First decision time."""
        return next(iter(self.strategies.values())).equity.index[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last timestamp simulated."""
        return next(iter(self.strategies.values())).equity.index[-1]

    def equity(self) -> pd.DataFrame:
        """Equity curves, one column per strategy (quote currency)."""
        return pd.DataFrame({n: r.equity for n, r in self.strategies.items()})

    def daily_returns(self) -> pd.DataFrame:
        """Daily simple returns after costs (fractions), one column per strategy, indexed by
        the UTC calendar day (tz-naive ``date``): what quantstats and empyrical take
        (``qs.reports.html(result.daily_returns()["max-sharpe"])``). Hourly rows are
        compounded to days; a day without rows is absent, not zero."""
        from cryptofolio.backtest.analytics import daily_returns

        return pd.DataFrame({n: daily_returns(r.returns) for n, r in self.strategies.items()})

    def write_daily_returns(self, path: str | Path) -> Path:
        """Write :meth:`daily_returns` as CSV at ``path`` (header ``date,<strategy>...``;
        parent folders created; an interrupted write leaves the old file). Read back with
        ``pd.read_csv(path, index_col="date", parse_dates=True)``."""

        path = Path(path)
        text = self.daily_returns().to_csv(date_format="%Y-%m-%d", float_format="%.12g")
        atomic_write_bytes(path, lambda fh: fh.write(text.encode("utf-8")))
        return path

    def plot(self, kind: str = "equity", ax: Axes | None = None) -> Axes:
        """A matplotlib picture for notebooks: ``kind`` ``equity`` (log scale, quote currency),
        ``drawdown`` (percent) or ``weights`` (of the first strategy, stacked). Draws on ``ax``
        or a new figure; returns the Axes (its figure: ``ax.figure``)."""
        from cryptofolio.backtest.plotting import plot_backtest

        return plot_backtest(self, kind, ax)

    def __repr__(self) -> str:
        from cryptofolio.display import backtest_text

        return backtest_text(self)

    def _repr_html_(self) -> str:
        from cryptofolio.display import backtest_html

        return backtest_html(self)

    def metrics(self, risk_free_rate: float = 0.0) -> pd.DataFrame:
        """Performance metrics, one row per strategy (see
        :func:`~cryptofolio.backtest.metrics.metrics_table`)."""
        return metrics.metrics_table(self, risk_free_rate=risk_free_rate)

    def to_json_dict(self, risk_free_rate: float = 0.0) -> dict:
        """The ``--format json`` document: :func:`~cryptofolio.backtest.metrics.metrics_json`."""
        return metrics.metrics_json(self, risk_free_rate=risk_free_rate)

    def write(self, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
        """Write equity curves, weight histories, targets, rebalances, trades and events.

        ``fmt`` is ``csv`` or ``parquet``. Returns the paths written.
        """
        if fmt not in ("csv", "parquet"):
            raise BacktestError(f"output format {fmt!r} not supported; use csv or parquet")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def save(frame: pd.DataFrame, stem: str, index: bool = True) -> None:
            path = out / f"{stem}.{fmt}"
            if fmt == "csv":
                atomic_write_text(path, frame.to_csv(index=index))
            else:
                atomic_write_bytes(path, lambda fh: frame.to_parquet(fh, index=index))
            written.append(path)

        save(self.equity(), "equity")
        save(self.metrics(), "metrics")
        save(self.universe, "universe", index=False)
        for name, res in self.strategies.items():
            slug = _slug(name)
            save(res.weights, f"weights_{slug}")
            save(res.targets, f"targets_{slug}")
            save(res.rebalances, f"rebalances_{slug}")
            save(res.trades, f"trades_{slug}", index=False)
            save(res.events, f"events_{slug}", index=False)
        return written


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
