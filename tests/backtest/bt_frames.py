"""Synthetic price panels for the backtest tests (a helper module with its own name: `from conftest import` is
ambiguous when several test folders are collected together)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.data import Panels


def panels_from_close(
    close: pd.DataFrame,
    volume: pd.DataFrame | float | None = 1e12,
    market_cap: pd.DataFrame | None = None,
) -> Panels:
    """Panels whose open/high/low equal close; volume constant unless given."""
    if not isinstance(volume, pd.DataFrame):
        fill = np.nan if volume is None else float(volume)
        volume = pd.DataFrame(fill, index=close.index, columns=close.columns)
        volume = volume.where(close.notna())
    if market_cap is None:
        market_cap = close * 1e6
    return Panels(
        close=close,
        volume=volume,
        market_cap=market_cap,
        open=close.copy(),
        high=close.copy(),
        low=close.copy(),
    )


def daily_index(n: int, start: str = "2021-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D", tz="UTC", name="timestamp")
