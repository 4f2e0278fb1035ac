"""Helpers for the backtest tests: tiny hand-made panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close  # noqa: F401  (re-exported for fixtures)


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
