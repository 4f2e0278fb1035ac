"""Trading-cost model shared by the backtest simulator, the turnover-aware optimiser and the
rebalancing orders, so that all three charge the same costs.

Contract (names are fixed):

* commission: ``fee_bps`` basis points of traded notional (taker; ``maker_fee_bps`` when
  ``fee_side`` is maker);
* slippage: none, a fixed ``slippage_bps``, or the square-root market-impact law
  ``impact_coefficient * sqrt(|notional| / volume)`` (as a fraction of notional), where ``volume``
  is the asset's traded volume in the quote currency over one day.

The cost of one trade of signed notional ``n`` (quote currency) is therefore::

    cost = |n| * (fee_bps / 1e4 + slippage_rate(n))
    slippage_rate = 0                                     (none)
                  = slippage_bps / 1e4                    (fixed)
                  = impact_coefficient * sqrt(|n| / volume)  (sqrt)

so a buy of $100k of an altcoin trading $5M a day pays ``0.1 * sqrt(0.02) = 1.4 %`` of impact
with the default coefficient, while the same trade in BTC (tens of $bn a day) pays almost none.

Zero or missing volume makes the square-root law undefined. The default policy
(:attr:`ZeroVolumePolicy.RAISE`) raises :class:`~cryptofolio.errors.DataError` naming the asset;
:attr:`ZeroVolumePolicy.SKIP` lets the caller skip such trades (the backtest records each skip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import DataError


class Slippage(StrEnum):
    """How the price moves against a trade."""

    NONE = "none"
    FIXED = "fixed"
    SQRT = "sqrt"


class FeeSide(StrEnum):
    """Which commission schedule applies: maker (resting limit orders) or taker."""

    MAKER = "maker"
    TAKER = "taker"


class ZeroVolumePolicy(StrEnum):
    """What the square-root slippage model does when an asset's volume is zero or missing."""

    RAISE = "raise"  # DataError naming the asset (default)
    SKIP = "skip"  # the caller skips the trade and records it


@dataclass(frozen=True)
class CostModel:
    """Commission + slippage per trade; every rate is in basis points of traded notional.

    Parameters
    ----------
    fee_bps
        Taker commission, basis points of traded notional (10 = 0.1 %).
    slippage
        :class:`Slippage` model.
    slippage_bps
        Fixed slippage in basis points (used with :attr:`Slippage.FIXED`).
    impact_coefficient
        Coefficient ``k`` of the square-root law ``k * sqrt(|notional| / daily volume)``
        (a fraction of notional; used with :attr:`Slippage.SQRT`).
    maker_fee_bps
        Maker commission in basis points; ``None`` means the same as ``fee_bps``.
    fee_side
        Which commission applies to the trades.
    min_notional
        Trades smaller than this (quote currency, absolute) are skipped by the simulator and
        reported; 0 disables the rule.
    zero_volume
        Policy of the square-root model for zero or missing volume.
    """

    fee_bps: float = 10.0
    slippage: Slippage = Slippage.NONE
    slippage_bps: float = 0.0
    impact_coefficient: float = 0.1
    maker_fee_bps: float | None = None
    fee_side: FeeSide = FeeSide.TAKER
    min_notional: float = 0.0
    zero_volume: ZeroVolumePolicy = ZeroVolumePolicy.RAISE

    def __post_init__(self) -> None:
        for name in ("fee_bps", "slippage_bps", "impact_coefficient", "min_notional"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise DataError(f"cost model: {name} must be a finite number >= 0, got {value}")
        if self.maker_fee_bps is not None and (
            not np.isfinite(self.maker_fee_bps) or self.maker_fee_bps < 0
        ):
            raise DataError(
                f"cost model: maker_fee_bps must be a finite number >= 0, got {self.maker_fee_bps}"
            )
        object.__setattr__(self, "slippage", Slippage(self.slippage))
        object.__setattr__(self, "fee_side", FeeSide(self.fee_side))
        object.__setattr__(self, "zero_volume", ZeroVolumePolicy(self.zero_volume))

    @property
    def commission_rate(self) -> float:
        """Commission as a fraction of traded notional (10 bps -> 0.001)."""
        if self.fee_side is FeeSide.MAKER and self.maker_fee_bps is not None:
            return self.maker_fee_bps / 1e4
        return self.fee_bps / 1e4

    @property
    def needs_volume(self) -> bool:
        """True when costs depend on traded volume (square-root slippage)."""
        return self.slippage is Slippage.SQRT

    def describe(self) -> str:
        """Short human-readable summary, e.g. ``10 bps taker + sqrt impact (k=0.1)``."""
        fee = f"{self.commission_rate * 1e4:g} bps {self.fee_side.value}"
        if self.slippage is Slippage.FIXED:
            return f"{fee} + {self.slippage_bps:g} bps slippage"
        if self.slippage is Slippage.SQRT:
            return f"{fee} + sqrt impact (k={self.impact_coefficient:g})"
        return fee


def parse_slippage(text: str) -> tuple[Slippage, float]:
    """Parse the CLI form ``none``, ``fixed:BPS`` or ``sqrt`` into (model, bps).

    >>> parse_slippage("fixed:5")
    (<Slippage.FIXED: 'fixed'>, 5.0)
    """
    raw = text.strip().lower()
    if raw in ("none", "sqrt"):
        return Slippage(raw), 0.0
    if raw.startswith("fixed:"):
        try:
            bps = float(raw.split(":", 1)[1])
        except ValueError:
            bps = float("nan")
        if np.isfinite(bps) and bps >= 0:
            return Slippage.FIXED, bps
    raise DataError(f"cannot parse slippage {text!r}; use none, fixed:BPS (e.g. fixed:5) or sqrt")


def slippage_rates(
    notional: np.ndarray,
    model: CostModel,
    volume: np.ndarray | None = None,
) -> np.ndarray:
    """Slippage as a fraction of notional for each trade (numpy fast path).

    ``volume`` is only needed for the square-root model; entries with zero or missing volume
    give NaN (the caller applies :attr:`CostModel.zero_volume`).
    """
    notional = np.asarray(notional, dtype=float)
    if model.slippage is Slippage.NONE:
        return np.zeros_like(notional)
    if model.slippage is Slippage.FIXED:
        return np.full_like(notional, model.slippage_bps / 1e4)
    if volume is None:
        raise DataError(
            "square-root slippage needs each asset's daily traded volume; the data has none "
            "(use --slippage fixed:BPS or none)"
        )
    volume = np.asarray(volume, dtype=float)
    ok = np.isfinite(volume) & (volume > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = model.impact_coefficient * np.sqrt(np.abs(notional) / np.where(ok, volume, 1.0))
    return np.where(ok, rate, np.nan)


def trade_cost_array(
    notional: np.ndarray,
    model: CostModel,
    volume: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Commission and slippage (quote currency, both >= 0) of each signed trade.

    Zero-notional trades cost nothing whatever the volume. Where the square-root model has no
    volume for a non-zero trade the slippage is NaN: see :attr:`CostModel.zero_volume`.
    """
    notional = np.asarray(notional, dtype=float)
    size = np.abs(notional)
    commission = size * model.commission_rate
    rate = slippage_rates(notional, model, volume)
    slippage = np.where(size > 0, size * rate, 0.0)
    return commission, slippage


def trade_cost_function(
    model: CostModel, volume: np.ndarray | None = None
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``notional -> trade_cost_array(notional, model, volume)`` for many trade vectors over
    the same assets and ``volume`` (the backtest solves for the post-cost value by iterating
    on it): the model's rates and the volume terms are prepared once. The same figures to
    the bit as :func:`trade_cost_array`."""
    commission_rate = model.commission_rate
    if model.slippage is not Slippage.SQRT:
        fixed = model.slippage_bps / 1e4 if model.slippage is Slippage.FIXED else 0.0

        def linear(notional: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            size = np.abs(notional)
            return size * commission_rate, np.where(size > 0, size * fixed, 0.0)

        return linear
    if volume is None:
        return lambda notional: trade_cost_array(notional, model, volume)  # its error
    volume = np.asarray(volume, dtype=float)
    ok = np.isfinite(volume) & (volume > 0)
    all_ok = bool(ok.all())
    divisor = volume if all_ok else np.where(ok, volume, 1.0)  # finite, > 0
    impact = model.impact_coefficient

    def costs(notional: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = np.abs(notional)
        rate = impact * np.sqrt(size / divisor)  # no floating-point flag: divisor > 0
        if not all_ok:
            rate = np.where(ok, rate, np.nan)
        return size * commission_rate, np.where(size > 0, size * rate, 0.0)

    return costs


#: The post-trade value is found when successive estimates agree to this fraction of the value.
POST_TRADE_TOL = 1e-13


def post_trade_value(
    value: float,
    weights: np.ndarray,
    holdings: np.ndarray,
    model: CostModel,
    volume: np.ndarray | None = None,
) -> float | None:
    """The portfolio value ``V'`` left after trading to ``weights`` of it and paying the costs:
    the root of ``V' = value - cost(weights * V' - holdings)`` (quote currency).

    Target weights are fractions of the value after costs, so the trades depend on the costs
    and the costs on the trades.

    * **Commission and fixed slippage** (a rate ``r`` per unit of notional): ``V' + r *
      sum |w_i V' - h_i| = value`` is piecewise linear and increasing in ``V'``. Each step
      solves it with the signs of the trades at the current estimate,
      ``V' = (value + r * s'h) / (1 + r * s'w)``. The steps start from ``value`` and move down
      to the root, exactly, once the signs hold (usually at the first step).
    * **Square-root slippage:** fixed-point iteration from ``value``. The costs are a small
      fraction of the trades, so it contracts fast.

    Both stop when two estimates agree to :data:`POST_TRADE_TOL` of ``value``, or (the linear
    case) the signs of the trades no longer change.

    Parameters
    ----------
    value
        Portfolio value before trading (cash plus holdings), quote currency, > 0.
    weights, holdings
        Target weights (fractions of the post-trade value) and current holdings (quote
        currency) of the traded assets.
    model, volume
        The cost model, and the traded volume of those assets (square-root slippage).

    Returns
    -------
    float or None
        ``V'``; ``None`` when it is not found (costs as large as the trades themselves).
    """
    tol = POST_TRADE_TOL * value
    if not model.needs_volume:
        rate = float(linear_cost_rates(model))  # commission + fixed slippage: exact here
        post = value
        signs = np.sign(weights * post - holdings)
        for _ in range(weights.shape[0] + 2):  # the signs change at most once per asset
            slope = 1.0 + rate * float(signs @ weights)
            if not slope > 0:
                return None
            new_post = (value + rate * float(signs @ holdings)) / slope
            new_signs = np.sign(weights * new_post - holdings)
            settled = abs(new_post - post) <= tol or not np.logical_or.reduce(new_signs != signs)
            post, signs = new_post, new_signs
            if settled:
                return post
        return None
    costs_of = trade_cost_function(model, volume)
    post = value
    for _ in range(200):
        commission, slippage = costs_of(weights * post - holdings)
        new_post = value - float(commission.sum() + slippage.sum())
        settled = abs(new_post - post) <= tol
        post = new_post
        if settled:
            return post
    return None


def trade_costs(
    notional: pd.Series, model: CostModel, volume: pd.Series | None = None
) -> pd.Series:
    """Cost in the quote currency of each trade (``notional`` signed, quote currency).

    Parameters
    ----------
    notional
        Signed trade notional per asset (buy > 0, sell < 0), quote currency.
    model
        The :class:`CostModel`.
    volume
        Daily traded volume per asset in the quote currency (needed by the square-root model).

    Returns
    -------
    pandas.Series
        Commission + slippage per asset, quote currency, >= 0.

    Raises
    ------
    DataError
        With the square-root model, if a traded asset has zero or missing volume (whatever the
        policy: a caller that wants to skip such trades removes them first, as the backtest
        does), naming the assets.
    """
    vol = None
    if model.needs_volume:
        if volume is None:
            raise DataError(
                "square-root slippage needs each asset's daily traded volume; pass `volume` "
                "(quote currency) or use a fixed slippage"
            )
        vol = volume.reindex(notional.index).to_numpy(dtype=float)
    commission, slippage = trade_cost_array(notional.to_numpy(dtype=float), model, vol)
    bad = np.isnan(slippage)
    if bad.any():
        assets = ", ".join(map(str, notional.index[bad]))
        raise DataError(
            f"zero or missing traded volume for {assets}: the square-root slippage model is "
            "undefined there; use fixed slippage or the 'skip' zero-volume policy"
        )
    return pd.Series(commission + slippage, index=notional.index, name="cost")


def linear_cost_rates(
    model: CostModel,
    reference_notional: float | np.ndarray = 0.0,
    volume: np.ndarray | None = None,
) -> np.ndarray | float:
    """Cost per unit of traded notional, for the L1 transaction-cost term of the optimiser.

    Commission and fixed slippage are linear already. The square-root law is linearised at a
    ``reference_notional`` trade size (quote currency) against ``volume``: the rate charged is
    that of a trade of that size. Assets without usable volume get the commission only.
    """
    base = model.commission_rate
    if model.slippage is Slippage.FIXED:
        return base + model.slippage_bps / 1e4
    if model.slippage is Slippage.NONE or volume is None:
        return base
    notional = np.broadcast_to(np.asarray(reference_notional, dtype=float), np.shape(volume))
    rate = slippage_rates(notional, model, volume)
    return base + np.nan_to_num(rate, nan=0.0)


__all__ = [
    "CostModel",
    "FeeSide",
    "Slippage",
    "ZeroVolumePolicy",
    "linear_cost_rates",
    "parse_slippage",
    "post_trade_value",
    "slippage_rates",
    "trade_cost_array",
    "trade_cost_function",
    "trade_costs",
]
