"""A discrete allocation on the bundled data, for ``cryptofolio demo``."""

from __future__ import annotations

from dataclasses import dataclass

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.trade.allocation import AllocationMethod, DiscreteAllocation, allocate
from cryptofolio.trade.holdings import latest_prices
from cryptofolio.trade.target import Target, target_weights

#: large non-stablecoin assets of ``coingecko-daily`` that share a long common history
DEMO_ASSETS = ["BTC", "ETH", "BNB", "SOL", "ADA", "XRP", "LINK", "LTC"]


@dataclass(frozen=True)
class AllocationDemo:
    target: Target
    allocation: DiscreteAllocation


def allocation_demo(
    value: float = 10_000.0,
    *,
    method: AllocationMethod = AllocationMethod.LP,
    dataset: str = "coingecko-daily",
    assets: list[str] | None = None,
    config: PortfolioConfig = PortfolioConfig(),
    start: str | None = "2021-01-01",
) -> AllocationDemo:
    """Discrete allocation of ``value`` USD of the (default min-variance) portfolio of
    :data:`DEMO_ASSETS` on the bundled data, at each asset's last close, in power-of-ten lot
    steps worth 1-10 USD (:func:`cryptofolio.trade.allocation.auto_lot_step`)."""
    assets = assets or DEMO_ASSETS
    close = to_panels(load_dataset(dataset, symbols=assets, start=start)).close
    target = target_weights(close, assets, config)
    prices = latest_prices(close, assets)["price"]
    allocation = allocate(target.weights, prices, value, method)
    return AllocationDemo(target=target, allocation=allocation)
