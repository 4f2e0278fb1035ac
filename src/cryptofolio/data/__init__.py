"""The data stage: bundled real datasets, market-data sources, local store, quality and cleaning.

Main entry points:

* :func:`load_dataset` -- a named dataset as a tidy long frame;
* :func:`read_prices_file` -- a local CSV/Parquet file (wide or long) as the same long frame;
* :func:`load_market_data` -- either of the two, as the CLI's ``--dataset``/``--prices`` do;
* :func:`to_panels` -- aligned wide panels (close, volume, market_cap, ...);
* :func:`load_prices` -- the wide close frame of the assets asked, in their order (notebooks);
* :func:`quality_report` -- every known defect, per symbol (nothing is changed);
* :func:`clean` -- an explicit :class:`CleaningPolicy` (or preset), with a log of what it did.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cryptofolio.data.cleaning import (
    CleaningAction,
    CleaningPolicy,
    CleaningPreset,
    CleaningResult,
    clean,
)
from cryptofolio.data.datasets import (
    BUNDLED,
    DEFAULT_DATASET,
    DatasetInfo,
    list_datasets,
    load_dataset,
    select,
)
from cryptofolio.data.files import read_prices_file
from cryptofolio.data.frame import LONG_COLUMNS, infer_frequency, standardize_long
from cryptofolio.data.panels import Panels, to_panels, wide_panels
from cryptofolio.data.quality import Check, QualityReport, QualityThresholds, quality_report
from cryptofolio.data.symbols import (
    STABLECOINS,
    is_stablecoin,
    normalize_asset,
    parse_symbols,
    split_market,
    to_asset,
    to_market,
)
from cryptofolio.errors import DataError


def load_market_data(
    dataset: str | None = None,
    prices_file: str | Path | None = None,
    *,
    symbols: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    data_dir: str | Path | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Load a long frame from a named dataset *or* a price file (exactly one of them).

    With neither given, the bundled default dataset (``coingecko-daily``) is used;
    ``encoding`` is the text encoding of a CSV price file.
    """
    if dataset is not None and prices_file is not None:
        raise DataError("give either a dataset name or a prices file, not both")
    if prices_file is not None:
        return select(
            read_prices_file(prices_file, encoding=encoding),
            symbols=symbols,
            start=start,
            end=end,
            source=str(prices_file),
        )
    return load_dataset(
        dataset or DEFAULT_DATASET, symbols=symbols, start=start, end=end, data_dir=data_dir
    )


def load_prices(
    assets: str | list[str] | None = None,
    *,
    dataset: str | None = None,
    prices_file: str | Path | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Closes as a wide frame: rows = UTC timestamps, columns = ``assets`` in the order asked
    (all of the data's, alphabetical, when ``None``), from a dataset or a price file as
    :func:`load_market_data` loads them (default: ``coingecko-daily``).

    The frame is as ragged as the data (NaN before an asset starts or after it stops; nothing
    is filled); ``build_portfolio`` and ``run_backtest`` take it as it is (after ``dropna()``
    for a window where every asset has data, for ``build_portfolio``).

    Examples
    --------
    >>> close = load_prices(["BTC", "ETH", "SOL"], start="2023-01-01")
    >>> list(close.columns)
    ['BTC', 'ETH', 'SOL']
    """
    symbols = parse_symbols(assets)
    long = load_market_data(
        dataset, prices_file, symbols=symbols, start=start, end=end, data_dir=data_dir
    )
    close = to_panels(long).close
    return close if symbols is None else close[symbols]


__all__ = [
    "BUNDLED",
    "DEFAULT_DATASET",
    "LONG_COLUMNS",
    "STABLECOINS",
    "Check",
    "CleaningAction",
    "CleaningPolicy",
    "CleaningPreset",
    "CleaningResult",
    "DatasetInfo",
    "Panels",
    "QualityReport",
    "QualityThresholds",
    "clean",
    "infer_frequency",
    "is_stablecoin",
    "list_datasets",
    "load_dataset",
    "load_market_data",
    "load_prices",
    "normalize_asset",
    "parse_symbols",
    "quality_report",
    "read_prices_file",
    "select",
    "split_market",
    "standardize_long",
    "to_asset",
    "to_market",
    "to_panels",
    "wide_panels",
]
