"""Synthetic panels for the sweep tests: few assets, short windows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.data import Panels


def synthetic_panels(drifts: list[float], n_rows: int, seed: int, vol: float = 0.02) -> Panels:
    """Independent geometric random walks with the given daily drifts (UTC daily index)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=n_rows, freq="D", tz="UTC", name="timestamp")
    rets = rng.normal(np.asarray(drifts), vol, size=(n_rows, len(drifts)))
    names = [f"A{k}" for k in range(len(drifts))]
    close = pd.DataFrame(100 * np.exp(np.cumsum(rets, axis=0)), index=index, columns=names)
    volume = pd.DataFrame(1e12, index=index, columns=names)
    return Panels(
        close=close,
        volume=volume,
        market_cap=close * 1e6,
        open=close.copy(),
        high=close.copy(),
        low=close.copy(),
    )
