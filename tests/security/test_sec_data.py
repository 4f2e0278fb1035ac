"""The bundled proof-of-work data: what the provenance file and the data README promise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import SecurityError
from cryptofolio.security import bundled_provenance, load_pow_data


def test_bundled_rows_and_coverage():
    data = load_pow_data()
    assert len(data.daily) == 24283
    assert data.symbols == tuple(
        sorted("BTC LTC DOGE DASH VTC XMR ETH ETC ZEC BCH BTG BSV".split())
    )
    assert f"{data.last_day:%Y-%m-%d}" == "2020-07-27"
    assert (data.daily["hash_rate"] > 0).all()
    # known gaps are kept, not filled: BTC's first ~550 days have no USD figures
    btc = data.daily[data.daily["symbol"] == "BTC"]
    assert btc["market_cap_usd"].isna().sum() > 500
    assert data.daily["date"].is_monotonic_increasing


def test_provenance_names_license_and_attribution():
    prov = bundled_provenance()
    assert prov["license"].startswith("CC BY-NC 4.0")
    assert prov["attribution"] == "Network data: Coin Metrics Community (coinmetrics.io)"
    assert "dd6e7d6f" in prov["source"]


def test_algorithms_point_in_time():
    table = load_pow_data().algorithms
    assert table.algorithm_at("BTG", "2018-07-02") == "Equihash (200;9)"
    assert table.algorithm_at("BTG", "2018-07-03") == "Equihash-BTG (144;5)"
    assert table.parent_at("DOGE", "2014-09-10") is None
    assert table.parent_at("DOGE", "2014-09-11") == "LTC"
    with pytest.raises(SecurityError, match="ADA is not in the proof-of-work algorithm table"):
        table.algorithm_at("ADA", "2020-01-01")
    labelled = load_pow_data().daily
    btg = labelled[labelled["symbol"] == "BTG"].set_index("date")["algorithm"]
    assert btg[pd.Timestamp("2018-07-02", tz="UTC")] == "Equihash (200;9)"
    assert np.all(btg[btg.index >= pd.Timestamp("2018-07-03", tz="UTC")] == "Equihash-BTG (144;5)")
