"""A discrete allocation on the bundled data, for ``cryptofolio demo``."""

from __future__ import annotations

from dataclasses import dataclass

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.optimize import Constraints, PortfolioConfig
from cryptofolio.trade.allocation import (
    AllocationMethod,
    DiscreteAllocation,
    greedy_allocation,
    lp_allocation,
)
from cryptofolio.trade.holdings import latest_prices
from cryptofolio.trade.target import Target, target_weights

#: large non-stablecoin assets of ``coingecko-daily`` that share a long common history
DEMO_ASSETS = ["BTC", "ETH", "BNB", "SOL", "ADA", "XRP", "LINK", "LTC"]

#: min-variance with a 40 % position limit (unconstrained, min-variance is ~98 % BTC)
DEMO_CONFIG = PortfolioConfig(constraints=Constraints(max_weight=0.4))


@dataclass(frozen=True)
class AllocationDemo:
    """The target portfolio and its greedy and LP discrete allocations."""

    target: Target
    greedy: DiscreteAllocation
    lp: DiscreteAllocation

    def best(self) -> DiscreteAllocation:
        return self.lp if self.lp.deviation <= self.greedy.deviation else self.greedy


def allocation_demo(
    value: float = 10_000.0,
    *,
    dataset: str = "coingecko-daily",
    assets: list[str] | None = None,
    config: PortfolioConfig = DEMO_CONFIG,
    start: str | None = "2021-01-01",
) -> AllocationDemo:
    """Allocate ``value`` USD of the min-variance portfolio (40 % cap) of :data:`DEMO_ASSETS`
    on the bundled data into whole lots, greedily and with the exact MILP.

    Prices are each asset's last close; lot steps are powers of ten worth 1-10 USD
    (:func:`cryptofolio.trade.allocation.auto_lot_step`).
    """
    assets = assets or DEMO_ASSETS
    close = to_panels(load_dataset(dataset, symbols=assets, start=start)).close
    target = target_weights(close, assets, config)
    prices = latest_prices(close, assets)["price"]
    return AllocationDemo(
        target=target,
        greedy=greedy_allocation(target.weights, prices, value),
        lp=lp_allocation(target.weights, prices, value),
    )


__all__ = ["DEMO_ASSETS", "AllocationDemo", "AllocationMethod", "allocation_demo"]
