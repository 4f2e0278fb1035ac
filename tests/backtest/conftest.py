"""Helpers for the backtest tests: tiny hand-made panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture
def random_close() -> pd.DataFrame:
    """Seeded geometric random walks of four assets, one of which starts late and one stops."""
    rng = np.random.default_rng(7)
    n = 120
    rets = rng.normal(0.001, 0.03, size=(n, 4))
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rets, axis=0)), index=daily_index(n), columns=["A", "B", "C", "D"]
    )
    close.iloc[:40, 2] = np.nan  # C lists late
    close.iloc[90:, 3] = np.nan  # D's data stops
    return close
