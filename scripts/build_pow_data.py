"""Rebuild the bundled proof-of-work security data from the raw files in ../shared/data.

Usage: python scripts/build_pow_data.py [SHARED_DATA_DIR]

Inputs: ``coinmetrics_pow_daily.csv.gz`` (Coin Metrics Community data, CC BY-NC 4.0) and
``pow_algorithms.csv`` (which hashing algorithm each coin uses). Outputs, in
``src/cryptofolio/data/_bundled/``:

* ``coinmetrics-pow-daily.parquet``: the daily rows, layout only (UTC dates, float columns, the
  constant ``source_repo``/``source_commit`` columns moved to the provenance file; ``difficulty``
  and ``supply`` left out: the screen does not use them and they double the file). No row is
  filled, dropped or edited; the known NaN days are kept.
* ``pow-algorithms.json``: the algorithm table as records, plus one added field,
  ``merged_since``: the date merged mining began (the source gives only "since 2014-09" in its
  notes for DOGE; 2014-09-11 is the day DOGE's hash rate jumps in the Coin Metrics data, the
  AuxPoW activation).
* ``coinmetrics-pow-daily.json``: provenance, license, attribution, column units, known defects.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "cryptofolio" / "data" / "_bundled"
MERGED_SINCE = {"DOGE": "2014-09-11"}

PROVENANCE = {
    "name": "coinmetrics-pow-daily",
    "files": ["coinmetrics-pow-daily.parquet", "pow-algorithms.json"],
    "attribution": "Network data: Coin Metrics Community (coinmetrics.io)",
    "license": "CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/)",
    "source": "Coin Metrics Community data as archived in SciEcon/data @ dd6e7d6f (csv/<coin>.csv)",
    "source_columns": {
        "hash_rate": "HashRate",
        "blocks": "BlkCnt",
        "issuance_usd": "IssTotUSD",
        "fees_usd": "FeeTotUSD",
        "market_cap_usd": "CapMrktCurUSD",
    },
    "left_out": "DiffMean (difficulty) and SplyCur (supply): not used by the screen",
    "units": {
        "date": "UTC day; the row dated D aggregates day D (complete at D+1 00:00 UTC)",
        "hash_rate": "mean hash rate of the day, in a unit that varies by protocol: compare "
        "only coins of one algorithm",
        "issuance_usd": "USD value of the coins issued that day (block rewards)",
        "fees_usd": "USD value of the fees paid to miners that day",
        "blocks": "blocks mined that day",
        "market_cap_usd": "price x current supply (all issued coins), USD",
    },
    "coins": "BTC LTC DOGE DASH VTC XMR ETH ETC ZEC BCH BTG BSV, all to 2020-07-27",
    "known_defects": [
        "BTC and LTC have no USD figures for their first ~550 days (no price yet)",
        "NaN USD days: DASH 20, DOGE 46, VTC 19, XMR 32, ETH 9, BTG/ETC/ZEC 1",
        "only days with a positive hash rate are kept",
        "an algorithm's switch day (BTG 2018-07-03) mixes both algorithms' hash rates",
    ],
    "algorithm_table": "pow_algorithms.csv (public protocol facts); merged_since added: "
    "DOGE 2014-09-11 (the source's notes say 2014-09; the day DOGE's hash rate jumps 10x)",
    "build": "scripts/build_pow_data.py",
}


def build_daily(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src / "coinmetrics_pow_daily.csv.gz")
    out = pd.DataFrame({"date": pd.to_datetime(raw["date"], utc=True), "symbol": raw["symbol"]})
    for col in ("hash_rate", "blocks", "issuance_usd", "fees_usd", "market_cap_usd"):
        out[col] = raw[col].astype("float64")
    return out.sort_values(["symbol", "date"]).reset_index(drop=True)


def build_algorithms(src: Path) -> list[dict[str, str | None]]:
    raw = pd.read_csv(src / "pow_algorithms.csv", dtype=str, keep_default_na=False)
    records = []
    for row in raw.to_dict("records"):
        rec: dict[str, str | None] = {k: (v or None) for k, v in row.items()}
        rec["merged_since"] = MERGED_SINCE.get(row["symbol"]) if row["merged_mined_with"] else None
        records.append(rec)
    return records


def main() -> None:
    src = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    daily = build_daily(src)
    path = OUT / "coinmetrics-pow-daily.parquet"
    daily.to_parquet(path, index=False, compression="zstd", compression_level=19)
    print(f"{path}: {len(daily)} rows, {path.stat().st_size / 1e6:.2f} MB")
    algos = OUT / "pow-algorithms.json"
    algos.write_text(json.dumps(build_algorithms(src), indent=1) + "\n")
    (OUT / "coinmetrics-pow-daily.json").write_text(json.dumps(PROVENANCE, indent=1) + "\n")
    print(f"{algos}, provenance written")


if __name__ == "__main__":
    main()
