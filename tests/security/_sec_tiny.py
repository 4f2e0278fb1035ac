"""A tiny hand-made proof-of-work data set for the security tests.

Coins: AAA (algorithm "A"), BBB (algorithm "A" until 2020-01-03, then "B"), PAR and KID
(algorithm "S"; KID merge-mined with PAR from 2020-01-02), four days 2020-01-01..04.
"""

from __future__ import annotations

import pandas as pd

from cryptofolio.security import AlgorithmTable, PowData, pow_data

ALGOS = [
    {"symbol": "AAA", "algorithm": "A", "since": "2019-01-01"},
    {"symbol": "BBB", "algorithm": "B", "since": "2020-01-03", "previous_algorithm": "A"},
    {"symbol": "PAR", "algorithm": "S", "since": "2019-01-01"},
    {
        "symbol": "KID",
        "algorithm": "S",
        "since": "2019-01-01",
        "merged_mined_with": "PAR",
        "merged_since": "2020-01-02",
    },
]


def tiny_daily() -> pd.DataFrame:
    rows = []
    days = pd.date_range("2020-01-01", periods=4, freq="D", tz="UTC")
    #          hash   issuance  fees   market cap
    spec = {
        "AAA": [(90.0, 2400.0, 240.0, 1e8)] * 4,
        "BBB": [
            (10.0, 480.0, 0.0, 2e7),
            (10.0, 480.0, 0.0, 2e7),
            (5.0, 240.0, 24.0, 1e7),
            (5.0, 240.0, 24.0, 1e7),
        ],
        "PAR": [(100.0, 4800.0, 0.0, 4e8)] * 4,
        "KID": [
            (20.0, 48.0, 0.0, 1e6),
            (80.0, 48.0, 0.0, 1e6),
            (80.0, 48.0, 0.0, 1e6),
            (120.0, 48.0, 24.0, 1e6),
        ],
    }
    for sym, vals in spec.items():
        for day, (h, iss, fee, cap) in zip(days, vals, strict=True):
            rows.append(
                {
                    "date": day,
                    "symbol": sym,
                    "hash_rate": h,
                    "issuance_usd": iss,
                    "fees_usd": fee,
                    "market_cap_usd": cap,
                }
            )
    return pd.DataFrame(rows)


def tiny_data(daily: pd.DataFrame | None = None) -> PowData:
    daily = tiny_daily() if daily is None else daily
    return pow_data(daily, AlgorithmTable.from_records(ALGOS), source="tiny data")
