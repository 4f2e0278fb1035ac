"""Target weights for trading: any optimiser configuration over a chosen set of assets.

The estimation window is the common window of the assets in the price panel
(:func:`cryptofolio.estimate.common_window`: nothing filled or dropped; a ragged panel is cut to
where every asset has data and the error names the asset that limits it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cryptofolio.data import Panels, load_market_data, to_panels
from cryptofolio.data.symbols import to_asset
from cryptofolio.errors import TradeError
from cryptofolio.estimate import common_window
from cryptofolio.optimize import PortfolioConfig, PortfolioResult, build_portfolio


@dataclass(frozen=True)
class Target:
    """Target weights (fractions, by asset) and the window they were estimated on (UTC)."""

    weights: pd.Series
    start: pd.Timestamp
    end: pd.Timestamp
    result: PortfolioResult


@dataclass(frozen=True)
class PriceSource:
    """Where a price history comes from: a named ``dataset`` *or* a ``prices_file`` (neither:
    the bundled default dataset), cut to ``start``..``end`` (UTC, inclusive); ``data_dir`` is
    the local store. See :func:`cryptofolio.data.load_market_data`."""

    dataset: str | None = None
    prices_file: Path | None = None
    start: str | None = None
    end: str | None = None
    data_dir: Path | None = None

    def panels(self, assets: list[str] | None = None) -> Panels:
        """The wide panels (close in the quote currency, volume, market cap in USD...), one
        column per asset of ``assets`` (``None``: every asset of the data), one row per
        timestamp; nothing filled."""
        long = load_market_data(
            self.dataset,
            self.prices_file,
            symbols=assets,
            start=self.start,
            end=self.end,
            data_dir=self.data_dir,
        )
        return to_panels(long)

    def close(self, assets: list[str] | None = None) -> pd.DataFrame:
        """Close prices (quote currency) of :meth:`panels`."""
        return self.panels(assets).close


def universe(held: list[str], added: list[str] | None, quote: str) -> list[str]:
    """Assets to optimise over: those held (the quote currency excluded) plus those added.

    The quote currency is included only when the user adds it explicitly (then its target
    weight is the cash target).
    """
    quote = quote.upper()
    out = [a for a in held if a != quote]
    for a in added or []:
        a = to_asset(a)
        if a not in out:
            out.append(a)
    if not out:
        raise TradeError(
            "nothing to optimise: the account holds only the quote currency; add assets with "
            "--assets BTC,ETH"
        )
    return out


def target_weights(
    close: pd.DataFrame,
    assets: list[str],
    config: PortfolioConfig = PortfolioConfig(),
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    market_caps: pd.DataFrame | None = None,
) -> Target:
    """Optimise ``assets`` over their common price window in ``close`` with ``config``;
    ``market_caps`` (USD, rows = UTC timestamps) for black-litterman expected returns (the
    prior reads the caps at the window's last row or before).

    Raises
    ------
    DataError
        An asset has no price data, or the common window is too short (from
        :func:`~cryptofolio.estimate.common_window`, naming the asset).
    """
    window = common_window(close, assets, start, end)
    result = build_portfolio(window.prices, config, market_caps=market_caps)
    missing = [a for a in window.assets if a not in result.weights.index]
    if missing:
        raise TradeError(f"the optimiser returned no weight for {', '.join(missing)}")
    weights = result.weights.reindex(window.assets).astype(float)
    return Target(weights=weights, start=window.start, end=window.end, result=result)
