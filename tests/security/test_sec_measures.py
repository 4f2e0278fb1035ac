"""Measures against hand computations on the tiny data set (see conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _sec_tiny import ALGOS, tiny_daily

from cryptofolio.errors import SecurityError
from cryptofolio.security import (
    AlgorithmTable,
    compare_hash_rates,
    daily_measures,
    hash_share_kernel,
    load_pow_data,
    pow_data,
    security_budget_per_hour,
)


def _row(frame: pd.DataFrame, day: str, sym: str) -> pd.Series:
    return frame[(frame["date"] == pd.Timestamp(day, tz="UTC")) & (frame["symbol"] == sym)].iloc[0]


def test_budget_is_issuance_plus_fees_per_hour():
    assert security_budget_per_hour(np.array([2400.0]), np.array([240.0]))[0] == 110.0
    assert np.isnan(security_budget_per_hour(np.array([np.nan]), np.array([1.0]))[0])


def test_daily_measures_by_hand(tiny):
    m = daily_measures(tiny)
    aaa = _row(m, "2020-01-01", "AAA")
    assert aaa["security_budget_usd_per_hour"] == pytest.approx((2400 + 240) / 24)
    assert aaa["budget_to_market_cap"] == pytest.approx(110 / 1e8)
    # day 1: AAA and BBB share algorithm A: 90 / (90 + 10)
    assert aaa["hash_share"] == pytest.approx(0.9)
    assert _row(m, "2020-01-01", "BBB")["hash_share"] == pytest.approx(0.1)
    # day 3: BBB switched to B (alone); AAA alone on A
    assert _row(m, "2020-01-03", "BBB")["algorithm"] == "B"
    assert _row(m, "2020-01-03", "BBB")["hash_share"] == pytest.approx(1.0)
    assert _row(m, "2020-01-03", "AAA")["hash_share"] == pytest.approx(1.0)


def test_merged_mining_counts_the_parent_once(tiny):
    m = daily_measures(tiny)
    # day 1: KID not yet merge-mined: a plain sum, 20 / 120
    assert _row(m, "2020-01-01", "KID")["hash_share"] == pytest.approx(20 / 120)
    assert _row(m, "2020-01-01", "PAR")["hash_share"] == pytest.approx(100 / 120)
    # day 2: merge-mined, KID 80 < PAR 100: pool = 100 + max(80 - 100, 0) = 100
    assert _row(m, "2020-01-02", "KID")["merged_with"] == "PAR"
    assert _row(m, "2020-01-02", "KID")["hash_share"] == pytest.approx(0.8)
    assert _row(m, "2020-01-02", "PAR")["hash_share"] == pytest.approx(1.0)
    # day 4: KID 120 > PAR 100: pool = 100 + 20 = 120
    assert _row(m, "2020-01-04", "KID")["hash_share"] == pytest.approx(1.0)
    assert _row(m, "2020-01-04", "PAR")["hash_share"] == pytest.approx(100 / 120)


def test_kernel_plain_sum_without_parents():
    h = np.array([1.0, 3.0, 4.0, 4.0])
    share, pool = hash_share_kernel(h, np.array([0, 0, 1, 1]), np.full(4, -1))
    np.testing.assert_allclose(share, [0.25, 0.75, 0.5, 0.5])
    np.testing.assert_allclose(pool, [4, 4, 8, 8])


def test_bundled_doge_counts_litecoin():
    m = daily_measures(load_pow_data())
    doge = _row(m, "2019-06-01", "DOGE")
    ltc = _row(m, "2019-06-01", "LTC")
    assert doge["merged_with"] == "LTC"
    assert doge["hash_share"] == pytest.approx(doge["hash_rate"] / ltc["hash_rate"])
    # before merged mining (2014-09-11) a plain sum
    d, lt = _row(m, "2014-06-01", "DOGE"), _row(m, "2014-06-01", "LTC")
    assert d["hash_share"] == pytest.approx(d["hash_rate"] / (d["hash_rate"] + lt["hash_rate"]))


def test_compare_hash_rates_refuses_across_algorithms():
    data = load_pow_data()
    rel = compare_hash_rates(data, ["BTC", "BCH"], "2019-06-01")
    assert rel["BTC"] == 1.0 and 0 < rel["BCH"] < 0.1
    with pytest.raises(SecurityError, match=r"across algorithms.*BTC \(SHA-256\).*LTC \(Scrypt\)"):
        compare_hash_rates(data, ["BTC", "LTC"], "2019-06-01")
    with pytest.raises(SecurityError, match=r"ADA has no hash-rate data.*proof-of-stake"):
        compare_hash_rates(data, ["BTC", "ADA"], "2019-06-01")
    with pytest.raises(SecurityError, match=r"no hash rate for BSV on 2018-01-01"):
        compare_hash_rates(data, ["BTC", "BSV"], "2018-01-01")


def test_bad_daily_frames():
    table = AlgorithmTable.from_records(ALGOS)
    with pytest.raises(SecurityError, match=r"missing column.*market_cap_usd"):
        pow_data(tiny_daily().drop(columns="market_cap_usd"), table)
    dup = pd.concat([tiny_daily(), tiny_daily().iloc[:1]])
    with pytest.raises(SecurityError, match=r"duplicate .*AAA on 2020-01-01"):
        pow_data(dup, table)
    unknown = tiny_daily().assign(symbol=lambda f: f["symbol"].replace("AAA", "ZZZ"))
    with pytest.raises(SecurityError, match=r"no algorithm known for ZZZ"):
        pow_data(unknown, table)
    zero = tiny_daily()
    zero.loc[0, "hash_rate"] = 0.0
    with pytest.raises(SecurityError, match=r"without a positive hash rate"):
        pow_data(zero, table)
    with pytest.raises(SecurityError, match=r"merge-mined with XXX"):
        AlgorithmTable.from_records([{**ALGOS[3], "merged_mined_with": "XXX"}])
