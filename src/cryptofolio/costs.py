"""Trading-cost model shared by the backtest simulator, the turnover-aware optimiser and the
rebalancing orders, so that all three charge the same costs.

Contract (implemented by the backtest work; names are fixed):

* commission: ``fee_bps`` basis points of traded notional (maker or taker);
* slippage: none, a fixed ``slippage_bps``, or the square-root market-impact law
  ``impact_coefficient * sqrt(|notional| / volume)`` (as a fraction of notional), where ``volume``
  is the asset's traded volume in the quote currency over one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class Slippage(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    SQRT = "sqrt"


@dataclass(frozen=True)
class CostModel:
    fee_bps: float = 10.0
    slippage: Slippage = Slippage.NONE
    slippage_bps: float = 0.0
    impact_coefficient: float = 0.1


def trade_costs(
    notional: pd.Series, model: CostModel, volume: pd.Series | None = None
) -> pd.Series:
    """Cost in the quote currency of each trade (``notional`` signed, quote currency)."""
    raise NotImplementedError
