"""Local store of fetched market data (Parquet files in a user cache folder).

Placeholder interface used by :mod:`cryptofolio.data.datasets`; the fetching side lives in
:mod:`cryptofolio.data.sources`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

ENV_DATA_DIR = "CRYPTOFOLIO_DATA_DIR"


def default_data_dir() -> Path:
    """``$CRYPTOFOLIO_DATA_DIR``, else ``$XDG_CACHE_HOME/cryptofolio``, else ``~/.cache/cryptofolio``."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cryptofolio"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


def stored_dataset_names(data_dir: str | Path | None = None) -> list[str]:
    root = resolve_data_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.parquet")))


def dataset_frequency(name: str) -> str:
    return name.rsplit("-", 1)[-1]


def read_dataset(name: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    root = resolve_data_dir(data_dir) / name
    frames = [pd.read_parquet(p) for p in sorted(root.glob("*.parquet"))]
    return pd.concat(frames, ignore_index=True)
