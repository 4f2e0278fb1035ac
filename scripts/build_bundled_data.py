"""Rebuild the bundled Parquet datasets from the raw CSV files in ../shared/data.

Usage: python scripts/build_bundled_data.py [SHARED_DATA_DIR]

The raw files are real, unedited CoinGecko and Binance data (see NOTICE). This script only
changes the layout (tidy long frame, UTC timestamps, Parquet with zstd): no row is filled,
dropped or edited, and known defects are kept so that `cryptofolio data quality` can report them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "cryptofolio" / "data" / "_bundled"


def build_coingecko(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src / "coingecko_daily.csv.gz")
    out = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(raw["date"], utc=True),
            "symbol": raw["symbol"].astype(str),
            "close": raw["close"].astype("float64"),
            "volume": raw["volume"].astype("float64"),
            "market_cap": raw["market_cap"].astype("float64"),
            "snapped_at": pd.to_datetime(raw["snapped_at"].str.replace(" UTC", ""), utc=True),
        }
    )
    return out.sort_values(["symbol", "timestamp"]).reset_index(drop=True)


def build_binance(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src / "binance_1h_ohlcv.csv.gz")
    out = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(raw["datetime"], utc=True),
            "symbol": raw["symbol"].astype(str),
            "open": raw["open"].astype("float64"),
            "high": raw["high"].astype("float64"),
            "low": raw["low"].astype("float64"),
            "close": raw["close"].astype("float64"),
            # volume in the quote currency (USDT), comparable with CoinGecko's USD volume
            "volume": raw["quote_volume"].astype("float64"),
            "base_volume": raw["base_volume"].astype("float64"),
        }
    )
    return out.sort_values(["symbol", "timestamp"]).reset_index(drop=True)


def main() -> None:
    src = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    for name, frame in (
        ("coingecko-daily", build_coingecko(src)),
        ("binance-hourly", build_binance(src)),
    ):
        path = OUT / f"{name}.parquet"
        frame.to_parquet(path, index=False, compression="zstd", compression_level=19)
        print(f"{path}: {len(frame)} rows, {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
