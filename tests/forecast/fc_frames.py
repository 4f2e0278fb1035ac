"""Synthetic panels for the forecast tests (a helper module with its own name: `from conftest import` is
ambiguous when several test folders are collected together)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.data import Panels


def make_panels(
    n: int = 700,
    assets: tuple[str, ...] = ("AAA", "BBB"),
    phi: float = 0.5,
    sigma: float = 0.02,
    seed: int = 7,
    freq: str = "D",
    with_range: bool = False,
) -> Panels:
    """Log returns r_t = phi * r_{t-1} + eps_t (AR(1): the next return is predictable)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n, freq=freq, tz="UTC", name="timestamp")
    close, volume, high, low = {}, {}, {}, {}
    for a in assets:
        eps = rng.normal(0.0, sigma, n)
        r = np.zeros(n)
        for t in range(1, n):
            r[t] = phi * r[t - 1] + eps[t]
        c = 100.0 * np.exp(np.cumsum(r))
        close[a] = c
        volume[a] = rng.lognormal(15.0, 0.3, n)
        spread = np.exp(np.abs(rng.normal(0.0, sigma, n)))
        high[a] = c * spread
        low[a] = c / spread
    frame = lambda d: pd.DataFrame(d, index=index)  # noqa: E731
    nan = frame({a: np.full(n, np.nan) for a in assets})
    return Panels(
        close=frame(close),
        volume=frame(volume),
        market_cap=nan.copy(),
        open=nan.copy(),
        high=frame(high) if with_range else nan.copy(),
        low=frame(low) if with_range else nan.copy(),
    )


def head(panels: Panels, n: int) -> Panels:
    keys = ("close", "volume", "market_cap", "open", "high", "low")
    return Panels(**{k: getattr(panels, k).iloc[:n] for k in keys})
