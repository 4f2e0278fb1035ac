"""Strategies: what the backtest asks at each rebalance, and the built-in ones.

A strategy is any object with a ``name`` and a ``target_weights(context)`` method; adding one
never touches the engine::

    class MyStrategy:
        name = "my-strategy"

        def target_weights(self, context: DecisionContext) -> pd.Series:
            prices = context.prices  # lookback window, eligible assets, no NaN
            return pd.Series(1 / prices.shape[1], index=prices.columns)

    register_strategy("my-strategy", MyStrategy)
    make_strategy("my-strategy")

Target weights are fractions of portfolio value (after costs), indexed by a subset of
``context.eligible``; ``1 - sum(weights)`` stays in cash (the quote currency). Returning ``None``
means "do not trade": the current holdings are kept as they are.

Built-ins: every optimiser :class:`~cryptofolio.optimize.Objective` (``min-variance``,
``max-sharpe``, ``max-utility``, ...) through :class:`OptimizerStrategy`; ``equal-weight``;
``market-cap`` (optionally capped); ``btc-hold`` (buy and hold BTC); ``fixed-weights``.
``lstm-mvo`` is registered by :mod:`cryptofolio.forecast.strategy` (needs the ``forecast`` extra).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from cryptofolio.costs import CostModel, linear_cost_rates
from cryptofolio.data import Panels
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import (
    Constraints,
    Objective,
    PortfolioConfig,
    WarmStarts,
    build_portfolio,
    objective_names,
)
from cryptofolio.user_warnings import user_stacklevel


@dataclass(frozen=True)
class DecisionContext:
    """Everything a strategy may see at one rebalance: only data strictly before ``timestamp``.

    Attributes
    ----------
    timestamp
        Decision time (UTC); trades execute at the price of this row.
    history
        :class:`~cryptofolio.data.Panels` of all rows strictly before ``timestamp``, all assets.
    eligible
        Assets with a full clean lookback (``lookback`` rows of positive, finite closes just
        before ``timestamp``) that have a price at ``timestamp`` to trade at.
    lookback
        Number of rows of the estimation window (the full window when it expands).
    current_weights
        Drifted weights of the current holdings before trading (fractions of portfolio value,
        valued at the last closes before ``timestamp``); assets not held are absent or 0.
    portfolio_value
        Portfolio value (quote currency) at the last closes before ``timestamp``.
    cost_model
        The simulator's :class:`~cryptofolio.costs.CostModel` (for turnover-aware strategies).
    window_prices
        The frame :attr:`prices` returns, when the caller already holds it (the engine builds
        it from its arrays, which is cheaper than slicing ``history``); ``None``: sliced from
        ``history`` on each access.
    warm_starts
        The optimiser's warm starts for this strategy's run (owned by the engine), or ``None``.
    """

    timestamp: pd.Timestamp
    history: Panels
    eligible: tuple[str, ...]
    lookback: int
    current_weights: pd.Series
    portfolio_value: float = float("nan")
    cost_model: CostModel = field(default_factory=CostModel)
    window_prices: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    warm_starts: WarmStarts | None = field(default=None, repr=False, compare=False)

    @property
    def prices(self) -> pd.DataFrame:
        """Close prices of the eligible assets over the lookback window (no NaN)."""
        if self.window_prices is not None:
            return self.window_prices
        window = self.history.close.tail(self.lookback)
        columns = window.columns
        pos = columns.get_indexer(list(self.eligible)) if columns.is_unique else None
        if pos is None or (pos < 0).any():
            return window[list(self.eligible)]  # the usual KeyError names what is missing
        if len(pos) == len(columns) and (pos == np.arange(len(columns))).all():
            return window  # every asset, in order: no copy
        return window.iloc[:, pos]


@runtime_checkable
class Strategy(Protocol):
    """Anything with a ``name`` and ``target_weights(context) -> pd.Series | None``."""

    name: str

    def target_weights(self, context: DecisionContext) -> pd.Series | None: ...


# --------------------------------------------------------------------------- optimiser


@dataclass(frozen=True)
class OptimizerStrategy:
    """Estimate on the lookback window and optimise with a full optimiser configuration.

    Parameters
    ----------
    config
        Objective, risk model, expected returns and constraints.
    name
        Display name; default the objective (``min-variance``...).
    transaction_cost
        Turnover-aware optimisation: add an L1 cost on trades against the current drifted
        weights, with per-asset rates from the simulator's cost model (commission + slippage;
        the square-root law linearised at a trade of ``impact_reference`` x portfolio value
        against the mean daily volume of the last 30 rows).
    max_turnover
        Cap on ``sum |w - w_current|`` per rebalance, or ``None``.

    With ``config.expected_returns="black-litterman"`` the prior at each rebalance comes from
    the market caps of the history (rows strictly before the decision: the last row of the
    window, nothing later) and δ, unless ``config.black_litterman`` gives it, from the
    window's cap-weighted market proxy. A view on an asset not eligible at a rebalance (not
    listed yet, too short a history) is left out there, with a :class:`StrategyNote`.
    """

    config: PortfolioConfig = field(default_factory=PortfolioConfig)
    name: str = ""
    transaction_cost: bool = False
    max_turnover: float | None = None
    impact_reference: float = 0.02

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.config.objective_spec().name)

    def cost_rates(self, context: DecisionContext) -> pd.Series:
        """Per-asset L1 cost rate (fraction of traded notional) used by the optimiser."""
        eligible = list(context.eligible)
        model = context.cost_model
        volume = None
        if model.needs_volume:
            vol = context.history.volume[eligible].tail(30).to_numpy(dtype=float)
            vol = np.where(vol > 0, vol, np.nan)
            with np.errstate(all="ignore"):
                volume = np.nanmean(vol, axis=0) if vol.shape[0] else np.full(len(eligible), np.nan)
        value = context.portfolio_value if np.isfinite(context.portfolio_value) else 0.0
        rates = linear_cost_rates(model, value * self.impact_reference, volume)
        return pd.Series(np.broadcast_to(rates, (len(eligible),)), index=eligible, dtype=float)

    def target_weights(self, context: DecisionContext) -> pd.Series:
        if not context.eligible:
            return pd.Series(dtype=float)
        kwargs: dict[str, Any] = {}
        if self.transaction_cost or self.max_turnover is not None:
            kwargs["previous_weights"] = (
                context.current_weights.reindex(list(context.eligible)).fillna(0.0).astype(float)
            )
            kwargs["max_turnover"] = self.max_turnover
            if self.transaction_cost:
                kwargs["transaction_cost"] = self.cost_rates(context)
        config = self.config
        if config.black_litterman is not None and config.objective_spec().uses_expected_returns:
            config = self._views_on(context)
            kwargs["market_caps"] = context.history.market_cap
        result = build_portfolio(context.prices, config, warm_starts=context.warm_starts, **kwargs)
        return result.weights

    def check_assets(self, assets: Sequence[str]) -> None:
        """Refuse views on assets the backtest has no data for (they could never apply)."""
        views = self.config.black_litterman
        unknown = [] if views is None else [a for a in views.assets() if a not in set(assets)]
        if unknown:
            raise BacktestError(
                f"{self.name}: the views name {', '.join(unknown)}, not in the backtest data "
                f"(assets: {', '.join(assets)}); add it to --assets or drop the view from "
                "--views"
            )

    def _views_on(self, context: DecisionContext) -> PortfolioConfig:
        """The config with the views restricted to the eligible assets (a note for each view
        left out)."""
        assert self.config.black_litterman is not None
        views, left_out = self.config.black_litterman.on_assets(list(context.eligible))
        for label in left_out:
            warnings.warn(
                f"{self.name}: view {label} left out at the rebalances where one of its "
                "assets is not eligible (no full clean lookback yet)",
                StrategyNote,
                stacklevel=user_stacklevel(),
            )
        return dataclasses.replace(self.config, black_litterman=views)


# --------------------------------------------------------------------------- benchmarks


@dataclass(frozen=True)
class EqualWeight:
    """1/N over the eligible assets, rebalanced on the backtest's schedule."""

    name: str = "equal-weight"

    def target_weights(self, context: DecisionContext) -> pd.Series:
        n = len(context.eligible)
        return pd.Series(1.0 / n if n else 0.0, index=list(context.eligible), dtype=float)


def cap_weights(weights: np.ndarray, cap: float) -> np.ndarray:
    """Cap each weight at ``cap`` and redistribute the excess pro rata over the others.

    ``weights`` are non-negative and sum to 1; requires ``cap * len(weights) >= 1``.
    """
    w = np.asarray(weights, dtype=float).copy()
    if len(w) == 0:
        return w
    if cap * len(w) < 1 - 1e-12:
        raise BacktestError(
            f"market-cap weight cap {cap:g} is infeasible with {len(w)} eligible assets "
            f"(needs cap >= {1 / len(w):.4g}); raise the cap or add assets"
        )
    capped = np.zeros(len(w), dtype=bool)
    for _ in range(len(w)):
        over = (w > cap + 1e-15) & ~capped
        if not over.any():
            break
        capped |= over
        w[capped] = cap
        free = ~capped
        rest = 1.0 - cap * capped.sum()
        total_free = w[free].sum()
        if total_free > 0:
            w[free] = w[free] / total_free * rest
    return w


@dataclass(frozen=True)
class MarketCap:
    """Weights proportional to circulating market cap (optionally capped per asset).

    Each asset's market cap is its latest positive value within the lookback window (zero
    market caps are missing values in CoinGecko data); an eligible asset without any raises
    :class:`~cryptofolio.errors.BacktestError` naming it. Data in which an asset has no
    positive market cap at all (a wide price file holds closes only) is refused before the
    backtest starts (:meth:`check_data`): the benchmark could only fall back on every date.
    """

    max_weight: float | None = None
    name: str = "market-cap"

    def check_data(self, panels: Panels) -> None:
        """Refuse data in which an asset has no positive market cap on any row."""
        caps = panels.market_cap.reindex(columns=panels.close.columns)
        has = ((caps > 0) & np.isfinite(caps)).any(axis=0)
        missing = [str(a) for a, ok in has.items() if not ok]
        if missing:
            raise BacktestError(
                f"{self.name}: the backtest data has no market caps for {_listed(missing)}, "
                "so the market-cap benchmark cannot be computed (a wide price file holds "
                "closes only); give data with market caps (a long file with a market_cap "
                "column, or --dataset coingecko-daily), or leave market-cap out of --strategies"
            )

    def target_weights(self, context: DecisionContext) -> pd.Series:
        eligible = list(context.eligible)
        if not eligible:
            return pd.Series(dtype=float)
        caps = context.history.market_cap[eligible].tail(context.lookback).to_numpy(dtype=float)
        valid = np.isfinite(caps) & (caps > 0)
        has = valid.any(axis=0)
        if not has.all():
            missing = ", ".join(a for a, ok in zip(eligible, has, strict=True) if not ok)
            raise BacktestError(
                f"market-cap strategy on {context.timestamp}: no positive market cap for "
                f"{missing} in the {context.lookback} rows before; use data with market caps "
                "or exclude the asset with --assets"
            )
        last_row = caps.shape[0] - 1 - np.argmax(valid[::-1], axis=0)
        latest = caps[last_row, np.arange(len(eligible))]
        w = latest / latest.sum()
        if self.max_weight is not None:
            w = cap_weights(w, self.max_weight)
        return pd.Series(w, index=eligible, dtype=float)


@dataclass(frozen=True)
class BuyAndHold:
    """Buy ``weights`` once (when the assets are eligible), then never trade.

    Stateless: it buys whenever it holds none of its assets (at the start, or after a
    liquidation), otherwise it returns ``None`` (hold).
    """

    weights: Mapping[str, float] = field(default_factory=lambda: {"BTC": 1.0})
    name: str = "btc-hold"

    def check_assets(self, assets: Sequence[str]) -> None:
        """Refuse a benchmark asset the backtest has no data for (it would sit in cash and
        every "excess over" figure would be measured against cash)."""
        absent = [a for a in self.weights if a not in set(assets)]
        if absent:
            raise BacktestError(
                f"{self.name}: {_listed(absent)} is not in the backtest data (its assets: "
                f"{_listed(list(assets))}); add it to --assets or the price file, or leave "
                f"{self.name} out of --strategies"
            )

    def target_weights(self, context: DecisionContext) -> pd.Series | None:
        held = context.current_weights.reindex(list(self.weights)).fillna(0.0)
        if (held.abs() > 0).any():
            return None
        return _restricted(self.weights, context.eligible)


@dataclass(frozen=True)
class FixedWeights:
    """Rebalance to fixed weights; the share of assets not yet eligible stays in cash.

    The weights must sum to ``budget`` (1: fully invested; anything else would run leveraged
    or part in cash without a word); a share held in cash is given as the weight ``CASH``
    (``BTC=0.5,ETH=0.3,CASH=0.2``). With ``normalize=True`` the weights are scaled to the
    budget and a :class:`StrategyNote` says so. Every asset named must be in the backtest's data
    (:meth:`check_assets`, called by :func:`~cryptofolio.backtest.run_backtest`).
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    name: str = "fixed-weights"
    normalize: bool = False
    budget: float = 1.0

    def __post_init__(self) -> None:
        if not self.weights:
            raise BacktestError(
                "fixed-weights needs weights, e.g. make_strategy('fixed-weights', "
                "weights={'BTC': 0.6, 'ETH': 0.4}) or --fixed-weights BTC=0.6,ETH=0.4"
            )
        bad = [k for k, v in self.weights.items() if not np.isfinite(v)]
        if bad:
            raise BacktestError(f"fixed-weights: weight of {', '.join(bad)} is not finite")
        total = float(sum(self.weights.values()))
        given = ",".join(f"{k}={v:g}" for k, v in self.weights.items())
        assets = {k: float(v) for k, v in self.weights.items() if k.upper() != CASH}
        object.__setattr__(self, "weights", assets)
        if abs(total - self.budget) <= 1e-9:
            return
        if not self.normalize or total <= 0:
            raise BacktestError(
                f"--fixed-weights {given} sum to {total:g}, not the budget {self.budget:g} "
                f"(it would run {total:g}x invested, cash at {self.budget - total:+g}, with no "
                f"borrowing cost); give weights that sum to {self.budget:g} (a cash share as "
                "CASH=0.2), or pass --normalize-weights to scale them"
            )
        scaled = {k: v * self.budget / total for k, v in assets.items()}
        object.__setattr__(self, "weights", scaled)
        warnings.warn(
            f"--fixed-weights {given} sum to {total:g}: scaled to "
            + ",".join(f"{k}={v:.4g}" for k, v in scaled.items())
            + " (--normalize-weights)",
            StrategyNote,
            stacklevel=user_stacklevel(),
        )

    def check_assets(self, assets: Sequence[str]) -> None:
        """Refuse weights on assets the backtest has no data for (they would sit in cash)."""
        unknown = [k for k in self.weights if k not in set(assets)]
        if unknown:
            raise BacktestError(
                f"--fixed-weights names {', '.join(unknown)}, not in the backtest data "
                f"(assets: {', '.join(assets)}); add it to --assets or remove it from "
                "--fixed-weights"
            )

    def target_weights(self, context: DecisionContext) -> pd.Series:
        return _restricted(self.weights, context.eligible)


def _restricted(weights: Mapping[str, float], eligible: tuple[str, ...]) -> pd.Series:
    keep = {k: float(v) for k, v in weights.items() if k in eligible}
    return pd.Series(keep, dtype=float)


def _listed(names: Sequence[str], limit: int = 8) -> str:
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" ... ({len(names)} in all)" if more > 0 else "")


#: The key of a fixed-weights share held in cash.
CASH = "CASH"


class StrategyNote(UserWarning):
    """A strategy did something other than the literal request, as asked (e.g. weights
    scaled by ``normalize``)."""


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``BTC=0.6,ETH=0.4`` into ``{"BTC": 0.6, "ETH": 0.4}``."""
    out: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        try:
            sym, val = item.split("=", 1)
            out[sym.strip().upper()] = float(val)
        except ValueError as exc:
            raise BacktestError(
                f"cannot parse weight {item!r}; expected SYM=WEIGHT pairs like BTC=0.6,ETH=0.4"
            ) from exc
    return out


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Callable[..., Strategy]] = {}
#: strategies an optional stage registers when it is imported: name -> (package, extra)
_OPTIONAL = {"lstm-mvo": ("cryptofolio.forecast", "forecast")}
BENCHMARKS = frozenset({"equal-weight", "market-cap", "btc-hold", "fixed-weights"})


def register_strategy(name: str, factory: Callable[..., Strategy]) -> None:
    """Make ``make_strategy(name, **options)`` call ``factory(**options)``."""
    _REGISTRY[name] = factory


def available_strategies() -> list[str]:
    """Names :func:`make_strategy` knows (those of optional stages included)."""
    return sorted(set(_REGISTRY) | set(_OPTIONAL))


def make_strategy(name: str, **options: Any) -> Strategy:
    """Build a registered strategy by name.

    Optimising strategies accept ``config`` (a :class:`~cryptofolio.optimize.PortfolioConfig`;
    its objective is replaced by the named one), ``transaction_cost`` and ``max_turnover``,
    and any field of :class:`~cryptofolio.optimize.Constraints` or ``PortfolioConfig`` as a
    keyword (``make_strategy("max-sharpe", max_weight=0.5, risk_model="ledoit-wolf")``);
    ``market-cap`` accepts ``max_weight``; ``fixed-weights`` needs ``weights``; ``btc-hold``
    accepts ``asset``.
    """
    if name not in _REGISTRY and name in _OPTIONAL:
        package, extra = _OPTIONAL[name]
        raise BacktestError(
            f"strategy {name!r} comes with {package}: `import {package}` registers it (it "
            f"needs the {extra} extra: pip install cryptofolio[{extra}])"
        )
    if name not in _REGISTRY:
        raise BacktestError(
            f"unknown strategy {name!r}; available: {', '.join(available_strategies())}"
        )
    try:
        return _REGISTRY[name](**options)
    except TypeError as exc:
        raise BacktestError(f"strategy {name!r}: bad options {sorted(options)}: {exc}") from exc


def _objective_member(name: str) -> Objective | str:
    """The :class:`Objective` member named ``name`` where there is one, else the name."""
    try:
        return Objective(name)
    except ValueError:
        return name


def _configured(config: PortfolioConfig, settings: dict[str, Any]) -> PortfolioConfig:
    """``config`` with ``settings`` applied: fields of :class:`Constraints` (``max_weight``,
    ``min_weight``, ...) to its constraints, fields of :class:`PortfolioConfig`
    (``risk_model``, ``expected_returns``, ...) to itself."""
    constraint_names = {f.name for f in dataclasses.fields(Constraints)}
    config_names = {f.name for f in dataclasses.fields(PortfolioConfig)} - {"objective"}
    unknown = sorted(set(settings) - constraint_names - config_names)
    if unknown:
        raise BacktestError(
            f"unknown option(s) {', '.join(unknown)}; an optimiser strategy takes config, "
            "transaction_cost, max_turnover, name, the Constraints fields ("
            f"{', '.join(sorted(constraint_names))}) and the PortfolioConfig fields ("
            f"{', '.join(sorted(config_names))})"
        )
    limits = {k: v for k, v in settings.items() if k in constraint_names}
    rest = {k: v for k, v in settings.items() if k not in constraint_names}
    if limits:
        rest["constraints"] = dataclasses.replace(
            rest.get("constraints", config.constraints), **limits
        )
    return dataclasses.replace(config, **rest)


def _optimizer_factory(objective: Objective | str) -> Callable[..., Strategy]:
    def factory(
        config: PortfolioConfig | None = None,
        transaction_cost: bool = False,
        max_turnover: float | None = None,
        name: str | None = None,
        **settings: Any,
    ) -> Strategy:
        cfg = _configured(config or PortfolioConfig(), settings)
        cfg = dataclasses.replace(cfg, objective=objective)
        return OptimizerStrategy(
            cfg,
            name=name or str(objective),
            transaction_cost=transaction_cost,
            max_turnover=max_turnover,
        )

    return factory


for _name in objective_names():  # every registered objective, hrp and risk-parity included
    register_strategy(_name, _optimizer_factory(_objective_member(_name)))
register_strategy("equal-weight", EqualWeight)
register_strategy("market-cap", lambda max_weight=None: MarketCap(max_weight=max_weight))
register_strategy(
    "btc-hold",
    lambda asset="BTC": BuyAndHold(
        {asset: 1.0}, name="btc-hold" if asset == "BTC" else f"{asset.lower()}-hold"
    ),
)
register_strategy(
    "fixed-weights",
    lambda weights=None, normalize=False: FixedWeights(dict(weights or {}), normalize=normalize),
)
