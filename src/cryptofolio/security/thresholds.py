"""The danger-zone thresholds of the 51%-attack screen: a frozen spec that carries its own
parameters and says why a coin crosses them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cryptofolio.errors import SecurityError


@dataclass(frozen=True)
class PowRiskThresholds:
    """When a coin is in the danger zone (any threshold crossed), and the window read.

    Attributes
    ----------
    min_hash_share
        Flag a coin holding less than this fraction of its algorithm's hash rate among the
        coins in the data (``None``: off). 0.10: a tenth of the other coins' miners could
        out-hash it.
    min_residual
        Flag a coin whose security budget lies more than this far below the log-log trend on
        market cap (log10 units; -0.3 is half the trend budget; ``None``: off).
    min_budget_to_market_cap
        Flag a coin whose hourly budget over market cap (a fraction) is below this (off).
    min_attack_cost_usd
        Flag a coin whose hourly attack cost (USD/h) is below this (off).
    max_nicehash
        Flag a coin whose NiceHash-able fraction (crypto51's, 1.0 = 100 %: the whole network
        can be rented) is at or above this; only coins from a crypto51 table have one.
    window_days
        Days averaged, ending on the screen day (daily hash rates and revenues are noisy).
    """

    min_hash_share: float | None = 0.10
    min_residual: float | None = -0.3
    min_budget_to_market_cap: float | None = None
    min_attack_cost_usd: float | None = None
    max_nicehash: float | None = 1.0
    window_days: int = 7

    def __post_init__(self) -> None:
        if self.min_hash_share is not None and not 0 <= self.min_hash_share <= 1:
            raise SecurityError(
                f"min_hash_share is a fraction in [0, 1] (0.1 = 10 %), got {self.min_hash_share}"
            )
        for name in ("min_budget_to_market_cap", "min_attack_cost_usd", "max_nicehash"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise SecurityError(f"{name} must be a non-negative number, got {value}")
        if self.min_residual is not None and not math.isfinite(self.min_residual):
            raise SecurityError(
                f"min_residual must be finite (log10 units), got {self.min_residual}"
            )
        if int(self.window_days) != self.window_days or self.window_days < 1:
            raise SecurityError(f"window_days must be a whole number >= 1, got {self.window_days}")

    def reasons(self, row: pd.Series) -> list[str]:
        """Why ``row`` (a screened coin) is in the danger zone; empty when it is not."""
        out = []
        share, res = row["hash_share"], row["residual"]
        if self.min_hash_share is not None and share < self.min_hash_share:
            out.append(
                f"hash share {share:.1%} of {row['algorithm']} among the coins in the data "
                f"(< {self.min_hash_share:.0%})"
            )
        if self.min_residual is not None and res < self.min_residual:
            out.append(
                f"security budget {10**res:.2f}x the market-cap trend (residual {res:+.2f} "
                f"< {self.min_residual:+.2f} log10)"
            )
        ratio = row["budget_to_market_cap"]
        if self.min_budget_to_market_cap is not None and ratio < self.min_budget_to_market_cap:
            out.append(
                f"hourly budget / market cap {ratio:.2e} < {self.min_budget_to_market_cap:.2e}"
            )
        cost = row["security_budget_usd_per_hour"]
        if self.min_attack_cost_usd is not None and cost < self.min_attack_cost_usd:
            out.append(f"1h attack cost ${cost:,.0f} < ${self.min_attack_cost_usd:,.0f}")
        nh = row["nicehash_fraction"]
        if self.max_nicehash is not None and nh >= self.max_nicehash:
            out.append(f"NiceHash-able {nh:.0%} >= {self.max_nicehash:.0%}")
        return out
