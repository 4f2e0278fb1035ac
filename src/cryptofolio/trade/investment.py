"""Investing a cash amount: optimised target weights over chosen assets, priced at each asset's
last close in the data, turned into whole lots (:mod:`cryptofolio.trade.allocation`).

``value`` and prices are in the quote currency, lot steps in base units, weights fractions of
``value``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cryptofolio.errors import TradeError
from cryptofolio.magnitudes import MAX_MONEY, MAX_UNITS, check_amount
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.trade.allocation import AllocationMethod, DiscreteAllocation, allocate
from cryptofolio.trade.holdings import latest_prices
from cryptofolio.trade.target import PriceSource, Target, target_weights


@dataclass(frozen=True)
class Investment:
    """The target portfolio and its discrete allocation."""

    target: Target
    allocation: DiscreteAllocation


def invest(
    value: float,
    source: PriceSource,
    config: PortfolioConfig | None = None,
    *,
    assets: list[str] | None = None,
    method: AllocationMethod = AllocationMethod.GREEDY,
    step: float | None = None,
) -> Investment:
    """Allocate ``value`` to the portfolio ``config`` describes over ``assets`` (``None``: every
    asset of the data), estimated on their common window of ``source``.

    ``step`` is one lot step (base units) for every asset; ``None`` chooses a power of ten worth
    1-10 in the quote currency per asset (:func:`~cryptofolio.trade.allocation.auto_lot_step`).
    """
    check_amount(value, "--value (the amount to invest)", error=TradeError, limit=MAX_MONEY)
    if step is not None:
        check_amount(step, "--step (the lot step in base units)", error=TradeError, limit=MAX_UNITS)
    panels = source.panels(assets)
    close = panels.close
    chosen = assets or list(close.columns)
    target = target_weights(
        close, chosen, config or PortfolioConfig(), market_caps=panels.market_cap
    )
    last = latest_prices(close, chosen)["price"]
    steps = pd.Series(step, index=target.weights.index, dtype=float) if step is not None else None
    allocation = allocate(target.weights, last, value, AllocationMethod(method), steps=steps)
    return Investment(target=target, allocation=allocation)


__all__ = ["Investment", "invest"]
