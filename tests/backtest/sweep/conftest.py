"""Synthetic panels for the sweep tests: few assets, short windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture(scope="module")
def planted_panels() -> Panels:
    """Four assets, one (A0) with a real edge: drift 0.6 % a day (a daily Sharpe of 0.3)
    against -0.2 % for the others, 800 days. Only a configuration free to hold A0 alone
    (max-sharpe with max_weight 1) gets the whole edge; on seeds 0-4 that configuration wins
    with a DSR of 0.978 to 1.0 (seed 1 is used)."""
    return synthetic_panels([0.006, -0.002, -0.002, -0.002], 800, seed=1)


@pytest.fixture(scope="module")
def small_panels() -> Panels:
    """Three driftless assets, 300 days."""
    return synthetic_panels([0.0, 0.0, 0.0], 300, seed=5)
