"""One strategy's walk-forward simulation on a :class:`~cryptofolio.backtest.market.Market`:
holdings in units plus cash, decisions, trades with costs, marks to market (the timeline is in
:mod:`cryptofolio.backtest.engine`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.backtest.config import BacktestConfig, FailurePolicy
from cryptofolio.backtest.market import Market, has_duplicates
from cryptofolio.backtest.results import StrategyResult
from cryptofolio.backtest.schedule import ScheduleKind, calendar_mask
from cryptofolio.backtest.strategies import (
    DecisionContext,
    Strategy,
)
from cryptofolio.costs import (
    ZeroVolumePolicy,
    post_trade_value,
    trade_cost_array,
    trade_cost_function,
)
from cryptofolio.errors import BacktestError, CryptofolioError
from cryptofolio.optimize import WarmStarts


@dataclass(frozen=True)
class Progress:
    """Reported after each rebalance: ``total`` is ``None`` for the drift schedule."""

    strategy: str
    timestamp: pd.Timestamp
    done: int
    total: int | None


_TRADE_TOL = 1e-12  # trades below this fraction of portfolio value are rounding noise


class Simulation:
    """The state of one strategy's portfolio while the simulation runs."""

    def __init__(
        self,
        market: Market,
        strategy: Strategy,
        config: BacktestConfig,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.m = market
        self.strategy = strategy
        self.warm_starts = WarmStarts()  # the optimiser's warm starts, for this run only
        self.config = config
        self.costs = config.costs
        self.progress = progress
        n = len(market.assets)
        self.units = np.zeros(n)
        self.cash = float(config.initial_capital)
        self.last_price = np.zeros(n)
        self.last_volume = np.full(n, np.nan)
        self.trades: list[tuple] = []
        self.events: list[tuple] = []
        self.rebalances: list[tuple] = []
        self.target_rows: list[np.ndarray] = []
        self.target_times: list[pd.Timestamp] = []

    # ------------------------------------------------------------------ helpers
    def _label(self, i: int) -> pd.Timestamp:
        return self.m.index[i]

    def _liquidate_stopped(self, i: int) -> None:
        m = self.m
        if m.all_valid[i]:
            return
        stopped = np.flatnonzero((self.units != 0) & ~m.valid[i])
        if len(stopped) == 0:
            return
        price = self.last_price[stopped]
        notional = -self.units[stopped] * price
        volume = self.last_volume[stopped] if self.costs.needs_volume else None
        commission, slippage = trade_cost_array(notional, self.costs, volume)
        for k, j in enumerate(stopped):
            detail = f"liquidated at last close {price[k]:.6g}"
            if np.isnan(slippage[k]):
                if self.costs.zero_volume is ZeroVolumePolicy.RAISE:
                    raise BacktestError(
                        f"{self.strategy.name}: liquidating {m.assets[j]} on {self._label(i)} "
                        "(its data stopped) but its last volume is zero or missing, so the "
                        "square-root slippage is undefined; use fixed slippage or the 'skip' "
                        "zero-volume policy (charges commission only)"
                    )
                slippage[k] = 0.0
                detail += "; no volume: slippage not charged"
            self.events.append((self._label(i), m.assets[j], "liquidation", detail))
        self.trades.append(
            (
                i,
                stopped,
                "liquidation",
                notional,
                -self.units[stopped],
                price,
                commission,
                slippage,
            )
        )
        self.cash += float(np.sum(-notional) - commission.sum() - slippage.sum())
        self.units[stopped] = 0.0

    def _context(self, i: int, eligible_idx: np.ndarray, ts: pd.Timestamp) -> DecisionContext:
        m = self.m
        prev_price = self.last_price
        held = np.flatnonzero(self.units != 0)
        value_prev = self.cash + float(self.units[held] @ prev_price[held])
        weights = self.units[held] * prev_price[held] / value_prev if value_prev else 0.0
        current = pd.Series(weights, index=m.labels(held), dtype=float)
        lookback = m.window_length(i, eligible_idx)
        return DecisionContext(
            timestamp=ts,
            history=m.history(i),
            eligible=m.names(eligible_idx),
            lookback=lookback,
            current_weights=current,
            portfolio_value=value_prev,
            cost_model=self.costs,
            window_prices=m.price_window(i, lookback, eligible_idx),
            warm_starts=self.warm_starts,
        )

    def _decide(
        self, i: int, eligible_idx: np.ndarray, ts: pd.Timestamp
    ) -> tuple[np.ndarray | None, bool]:
        """Target weight vector (None = hold) and whether a fallback was used (``ts``: the
        timestamp of row ``i``)."""
        m = self.m
        context = self._context(i, eligible_idx, ts)
        name = self.strategy.name
        try:
            target = self.strategy.target_weights(context)
        except (CryptofolioError, np.linalg.LinAlgError) as exc:
            if self.config.on_failure is FailurePolicy.HOLD:
                self.events.append(
                    (m.index[i], "", "fallback", f"strategy failed, previous weights held: {exc}")
                )
                return None, True
            if self.config.on_failure is FailurePolicy.CASH:
                self.events.append(
                    (m.index[i], "", "fallback", f"strategy failed, moved to cash: {exc}")
                )
                return np.zeros(len(m.assets)), True
            raise BacktestError(
                f"strategy {name!r} failed on {m.index[i]}: {exc} (pass on_failure='hold' / "
                "--on-failure hold to keep the previous weights on such dates, or 'cash')"
            ) from exc
        if target is None:
            return None, False
        if not isinstance(target, pd.Series):
            raise BacktestError(
                f"strategy {name!r} returned {type(target).__name__} on {m.index[i]}; "
                "target_weights must return a pandas Series of weights (or None to hold)"
            )
        if target.index is m.labels(eligible_idx):
            # the eligible assets' own Index (an optimiser's weights on context.prices): no
            # duplicate and none outside, by construction
            cols = eligible_idx
            values = target.to_numpy(dtype=float)
        else:
            cols = m.positions(target.index)
            if has_duplicates(target.index, cols, len(m.assets)):
                raise BacktestError(f"strategy {name!r} returned duplicate assets on {m.index[i]}")
            values = target.to_numpy(dtype=float)
            allowed = np.zeros(len(m.assets) + 1, dtype=bool)  # last slot: unknown asset (-1)
            allowed[eligible_idx] = True
            outside = ~allowed[cols] & (values != 0)
            if outside.any():
                names = ", ".join(map(str, target.index[outside]))
                raise BacktestError(
                    f"strategy {name!r} wants {names} on {m.index[i]}, which are not eligible "
                    "then (no full clean lookback or no price to trade at)"
                )
        finite = np.isfinite(values)
        if not finite.all():
            bad = ", ".join(map(str, target.index[~finite]))
            raise BacktestError(
                f"strategy {name!r} returned non-finite weights for {bad} on {m.index[i]}"
            )
        keep = values != 0
        vec = np.zeros(len(m.assets))
        vec[cols[keep]] = values[keep]
        return vec, False

    def _execute(self, i: int, target: np.ndarray) -> tuple:
        m = self.m
        price = m.price[i]
        holdings = self.units * price
        value = self.cash + float(holdings.sum())
        if value <= 0:
            raise BacktestError(
                f"{self.strategy.name}: portfolio value is {value:.2f} on {m.index[i]}; "
                "cannot rebalance a bankrupt portfolio"
            )
        desired = target * value - holdings
        active = np.abs(desired) > _TRADE_TOL * value
        skipped, volume = self._skipped_trades(i, desired, active)
        trade = active & ~skipped
        idx = np.flatnonzero(trade)
        w = target[idx]
        h = holdings[idx]
        vol = volume[idx] if volume is not None else None
        post = post_trade_value(value, w, h, self.costs, vol)
        if post is None:
            raise BacktestError(
                f"{self.strategy.name}: costs on {m.index[i]} do not converge (trades too "
                "large for the market's volume?); lower the impact coefficient or the capital"
            )
        notional = w * post - h
        commission, slippage = trade_cost_function(self.costs, vol)(notional)
        units = notional / price[idx]
        self.units[idx] += units
        # traded assets land exactly on their target (no drift from float error in units)
        self.units[idx] = np.where(w == 0, 0.0, self.units[idx])
        paid = float(commission.sum() + slippage.sum())
        self.cash -= float(notional.sum()) + paid
        self.trades.append(
            (i, idx, "rebalance", notional, units, price[idx].copy(), commission, slippage)
        )
        turnover = float(np.abs(notional).sum()) / value
        return (
            value,
            turnover,
            float(commission.sum()),
            float(slippage.sum()),
            paid,
            len(idx),
            int(skipped.sum()),
        )

    def _skipped_trades(
        self, i: int, desired: np.ndarray, active: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The trades skipped on row ``i`` (below the minimum notional, or without traded
        volume for the square-root slippage: recorded as events) and the row's volumes (``None``
        when the cost model does not read them)."""
        m = self.m
        skipped = np.zeros_like(active)
        if self.costs.min_notional > 0:
            small = active & (np.abs(desired) < self.costs.min_notional)
            for j in np.flatnonzero(small):
                self.events.append(
                    (
                        m.index[i],
                        m.assets[j],
                        "skipped-min-notional",
                        f"trade of {desired[j]:.2f} below minimum notional "
                        f"{self.costs.min_notional:g}",
                    )
                )
            skipped |= small
        volume = None
        if self.costs.needs_volume:
            volume = m.volume[i]
            novol = active & ~skipped & ~(np.isfinite(volume) & (volume > 0))
            if novol.any():
                names = ", ".join(m.assets[j] for j in np.flatnonzero(novol))
                if self.costs.zero_volume is ZeroVolumePolicy.RAISE:
                    raise BacktestError(
                        f"{self.strategy.name}: zero or missing traded volume for {names} on "
                        f"{m.index[i]}: the square-root slippage model is undefined; use "
                        "--slippage fixed:BPS, or the 'skip' zero-volume policy "
                        "(--zero-volume skip) to skip such trades"
                    )
                for j in np.flatnonzero(novol):
                    self.events.append(
                        (
                            m.index[i],
                            m.assets[j],
                            "skipped-zero-volume",
                            f"trade of {desired[j]:.2f} skipped: no traded volume",
                        )
                    )
                skipped |= novol
        return skipped, volume

    # ------------------------------------------------------------------ main loop
    def run(self) -> StrategyResult:
        m = self.m
        cfg = self.config
        schedule = cfg.schedule
        first, last = m.first, m.last
        n_rows = last - first
        mask = calendar_mask(m.sim_index, schedule)
        drift = schedule.kind is ScheduleKind.DRIFT
        total = None if drift else int(mask.sum())
        equity = np.empty(n_rows)
        weights = np.zeros((n_rows, len(m.assets)))
        cash_w = np.zeros(n_rows)
        last_target: np.ndarray | None = None
        done = 0
        # rows where something may happen besides marking to market: a calendar rebalance, or
        # an asset without a price (a held one is liquidated); between two such rows the
        # holdings are constant and every row is marked at once (calendar schedules only)
        busy = np.flatnonzero(mask | ~m.all_valid[first:last])
        next_busy = np.append(busy, n_rows)[np.searchsorted(busy, np.arange(n_rows))]
        r = 0
        while r < n_rows:
            i = first + r
            if not drift and next_busy[r] > r:
                end = int(next_busy[r])
                self._mark_block(r, end, equity, weights, cash_w)
                r = end
                continue
            valid_i = m.valid[i]
            self._liquidate_stopped(i)
            rebalance = bool(mask[r])
            if drift and not rebalance:
                if last_target is None:
                    rebalance = True
                else:
                    rebalance = bool(
                        np.max(np.abs(weights[r - 1] - last_target)) > schedule.threshold
                    )
            if rebalance:
                last_target = self._rebalance(i, drift, last_target)
                done += 1
                if self.progress is not None:
                    self.progress(Progress(self.strategy.name, m.index[i], done, total))
            # mark to market at this row's close
            holdings = self.units * m.price[i]
            value = self.cash + float(holdings.sum())
            equity[r] = value
            if value != 0:
                weights[r] = holdings / value
                cash_w[r] = self.cash / value
            self.last_price = np.where(valid_i, m.price[i], self.last_price)
            self.last_volume = np.where(valid_i, m.volume[i], self.last_volume)
            r += 1
        return self._result(equity, weights, cash_w)

    def _rebalance(self, i: int, drift: bool, last_target: np.ndarray | None) -> np.ndarray | None:
        """Decide and trade on row ``i``; returns the weights the drift schedule compares to."""
        m = self.m
        eligible_idx = np.flatnonzero(m.eligible[i])
        ts = m.index[i]
        target, fallback = self._decide(i, eligible_idx, ts)
        row = np.full(len(m.assets), np.nan) if target is None else target
        self.target_rows.append(row)
        self.target_times.append(ts)
        if target is None:
            value = self.cash + float(self.units @ m.price[i])
            self.rebalances.append((ts, value, 0.0, 0.0, 0.0, 0.0, 0, 0, True, fallback))
            if drift and len(eligible_idx):
                return (self.units * m.price[i]) / value
            return last_target
        stats = self._execute(i, target)
        self.rebalances.append((ts, *stats, False, fallback))
        return target

    def _mark_block(
        self, r0: int, r1: int, equity: np.ndarray, weights: np.ndarray, cash_w: np.ndarray
    ) -> None:
        """Mark simulated rows ``r0:r1`` to market at once: no trade and no missing price in
        them, so the holdings are constant (the same figures as marking row by row)."""
        m = self.m
        i0, i1 = m.first + r0, m.first + r1
        holdings = m.price[i0:i1] * self.units
        value = self.cash + holdings.sum(axis=1)
        equity[r0:r1] = value
        ok = value != 0
        weights[r0:r1][ok] = holdings[ok] / value[ok, None]
        cash_w[r0:r1][ok] = self.cash / value[ok]
        # every asset has a price on these rows: the last ones are the block's final row
        self.last_price = m.price[i1 - 1].copy()
        self.last_volume = m.volume[i1 - 1].copy()

    def _trades_frame(self) -> pd.DataFrame:
        m = self.m
        columns = ["notional", "units", "price", "commission", "slippage"]
        if not self.trades:
            frame = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
            frame.insert(0, "kind", pd.Series(dtype=object))
            frame.insert(0, "asset", pd.Series(dtype=object))
            frame.insert(0, "timestamp", pd.Series(dtype=m.index.dtype))
            return frame
        rows = np.concatenate([np.full(len(b[1]), b[0]) for b in self.trades])
        assets = np.concatenate([b[1] for b in self.trades])
        kinds = np.concatenate([np.full(len(b[1]), b[2], dtype=object) for b in self.trades])
        data = {
            "timestamp": m.index[rows],
            "asset": np.asarray(m.assets, dtype=object)[assets],
            "kind": kinds,
        }
        for k, c in enumerate(columns, start=3):
            data[c] = np.concatenate([np.asarray(b[k], dtype=float) for b in self.trades])
        return pd.DataFrame(data)

    def _result(
        self, equity: np.ndarray, weights: np.ndarray, cash_w: np.ndarray
    ) -> StrategyResult:
        m = self.m
        idx = m.sim_index
        eq = pd.Series(equity, index=idx, name=self.strategy.name)
        prev = np.concatenate([[self.config.initial_capital], equity[:-1]])
        rets = pd.Series(equity / prev - 1.0, index=idx, name=self.strategy.name)
        held_cols = np.flatnonzero((weights != 0).any(axis=0))
        wdf = pd.DataFrame(
            weights[:, held_cols], index=idx, columns=[m.assets[j] for j in held_cols]
        )
        wdf["cash"] = cash_w
        targets = pd.DataFrame(
            np.array(self.target_rows).reshape(len(self.target_rows), len(m.assets)),
            index=pd.DatetimeIndex(self.target_times, name="timestamp"),
            columns=m.assets,
        )
        rebalances = pd.DataFrame(
            self.rebalances,
            columns=[
                "timestamp",
                "value_before",
                "turnover",
                "commission",
                "slippage",
                "costs",
                "traded",
                "skipped",
                "held",
                "fallback",
            ],
        ).set_index("timestamp")
        trades = self._trades_frame()
        events = pd.DataFrame(self.events, columns=["timestamp", "asset", "event", "detail"])
        return StrategyResult(
            name=self.strategy.name,
            equity=eq,
            returns=rets,
            weights=wdf,
            targets=targets,
            rebalances=rebalances,
            trades=trades,
            events=events,
            initial_capital=float(self.config.initial_capital),
        )
