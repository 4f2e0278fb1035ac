"""Options shared by every command that reads market data: ``--dataset NAME | --prices FILE``,
``--assets``, ``--start``, ``--end``, ``--data-dir``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cryptofolio.data import load_market_data, parse_symbols

DatasetOpt = Annotated[
    str | None,
    typer.Option("--dataset", help="Named dataset (bundled or stored); default coingecko-daily."),
]
PricesOpt = Annotated[
    Path | None,
    typer.Option("--prices", help="CSV/Parquet price file, wide (date x symbol) or long."),
]
AssetsOpt = Annotated[
    str | None, typer.Option("--assets", help="Comma-separated assets, e.g. BTC,ETH,SOL.")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="First date (UTC), e.g. 2021-01-01.")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last date (UTC), inclusive.")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="CRYPTOFOLIO_DATA_DIR",
        help="Local store folder (default: user cache folder).",
    ),
]


def load_from_options(
    dataset: str | None,
    prices: Path | None,
    assets: str | None,
    start: str | None,
    end: str | None,
    data_dir: Path | None = None,
) -> pd.DataFrame:
    """Load the long frame the data options describe."""
    return load_market_data(
        dataset,
        prices,
        symbols=parse_symbols(assets),
        start=start,
        end=end,
        data_dir=data_dir,
    )
