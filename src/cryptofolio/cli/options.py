"""Options shared by every command that reads market data: ``--dataset NAME | --prices FILE``,
``--assets``, ``--start``, ``--end``, ``--data-dir``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.data import CleaningPreset, load_market_data, parse_symbols
from cryptofolio.data.cleaning import clean_for_use
from cryptofolio.errors import DataError

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
EncodingOpt = Annotated[
    str,
    typer.Option("--encoding", help="Text encoding of a --prices CSV file (e.g. latin-1)."),
]
CleanOpt = Annotated[
    CleaningPreset,
    typer.Option(
        "--clean",
        help="Cleaning policy applied to the data before use, recorded in the output "
        "(standard: drop duplicates, bad prices and pre-listing junk; see data quality).",
    ),
]
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
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Load the long frame the data options describe."""
    return load_market_data(
        dataset,
        prices,
        symbols=parse_symbols(assets),
        start=start,
        end=end,
        data_dir=data_dir,
        encoding=encoding,
    )


@dataclass(frozen=True)
class DataOptions:
    """The data options as given: a dataset name or a prices file (neither: the default
    dataset), the assets (comma-separated text), the dates (UTC) and the local store."""

    dataset: str | None = None
    prices: Path | None = None
    assets: str | None = None
    start: str | None = None
    end: str | None = None
    data_dir: Path | None = None
    encoding: str = "utf-8"
    clean: CleaningPreset = CleaningPreset.NONE

    def load(self, *, start: str | None = None) -> pd.DataFrame:
        """The long frame of the assets up to ``end``, from ``start`` (not ``self.start``:
        a backtest reads the history before its first decision), cleaned by the ``--clean``
        policy (each change issued as a :class:`~cryptofolio.data.cleaning.CleaningNote`)."""
        long = load_from_options(
            self.dataset, self.prices, self.assets, start, self.end, self.data_dir, self.encoding
        )
        return clean_for_use(long, self.clean)[0]


def data_source_options(assets: object = AssetsOpt) -> list:
    """The options that name the data (``--dataset --prices --assets --start --end
    --data-dir``, in that order), for an option group; ``assets`` is the typer alias of
    ``--assets`` (its help text differs between commands)."""
    return [
        keyword_option("dataset", DatasetOpt, None),
        keyword_option("prices", PricesOpt, None),
        keyword_option("assets", assets, None),
        keyword_option("start", StartOpt, None),
        keyword_option("end", EndOpt, None),
        keyword_option("data_dir", DataDirOpt, None),
    ]


def data_option_group(assets: object = AssetsOpt):
    """Decorator giving a command the data options (:func:`data_source_options`, then
    ``--encoding --clean``) as one ``data: DataOptions`` keyword-only parameter."""
    return with_option_group(
        "data",
        [
            *data_source_options(assets),
            keyword_option("encoding", EncodingOpt, "utf-8"),
            keyword_option("clean", CleanOpt, CleaningPreset.NONE),
        ],
        lambda values: DataOptions(**values),
        what="data",
    )


#: :func:`data_option_group` with the common ``--assets`` help.
with_data_options = data_option_group()


def aliased(value: str | None, old: str | None, name: str, old_name: str) -> str | None:
    """The value of an option given under its name or its former (hidden) name.

    Raises
    ------
    DataError
        Both names given.
    """
    if value is not None and old is not None:
        raise DataError(f"{old_name} is the former name of {name}; give {name} only")
    return old if value is None else value
