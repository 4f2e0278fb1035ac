"""Wide panels from the long frame."""

from __future__ import annotations

import pandas as pd
import pytest

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.errors import DataError


def test_panels_are_aligned_and_ragged():
    long = load_dataset(
        "coingecko-daily", symbols=["BTC", "SOL"], start="2020-04-01", end="2020-04-30"
    )
    panels = to_panels(long)
    assert panels.symbols == ["BTC", "SOL"]
    assert len(panels.close) == 30
    for wide in (panels.volume, panels.market_cap, panels.open):
        assert wide.index.equals(panels.close.index)
    # SOL starts on 2020-04-11: NaN before, nothing filled
    sol = panels.close["SOL"]
    assert sol.loc[:"2020-04-10"].isna().all()
    assert sol.loc["2020-04-11":].notna().all()
    btc = long[long["symbol"] == "BTC"].set_index("timestamp")["close"]
    pd.testing.assert_series_equal(panels.close["BTC"], btc, check_names=False)


def test_duplicates_are_refused_with_the_pair_named():
    long = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2021-01-01", "2021-01-01"], utc=True),
            "symbol": ["BTC", "BTC"],
            "close": [1.0, 2.0],
        }
    )
    for col in ("open", "high", "low", "volume", "market_cap"):
        long[col] = float("nan")
    with pytest.raises(DataError, match="BTC at 2021-01-01"):
        to_panels(long)
