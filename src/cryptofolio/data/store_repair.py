"""Broken files in the local store, and the command that repairs each.

A stored file that cannot be read (truncated by a disk fault, overwritten by another program)
holds one asset of one dataset: ``<data dir>/<source>-<timeframe>/<ASSET>.parquet``. Fetching
it again after removing it restores it, so every error about such a file names that command.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


def repair_command(path: Path) -> str:
    """The shell command that replaces the broken store file ``path`` by a fresh fetch.

    >>> repair_command(Path("/data/binance-1d/BTC.parquet"))
    'rm /data/binance-1d/BTC.parquet && cryptofolio data fetch binance --symbols BTC --timeframe 1d --since YYYY-MM-DD --data-dir /data'
    """
    dataset = path.parent.name
    source, _, timeframe = dataset.rpartition("-")
    root = path.parent.parent
    return (
        f"rm {shlex.quote(str(path))} && cryptofolio data fetch {source or dataset} "
        f"--symbols {path.stem} --timeframe {timeframe} --since YYYY-MM-DD "
        f"--data-dir {shlex.quote(str(root))}"
    )


@dataclass(frozen=True)
class BrokenFile:
    """A stored file that cannot be read.

    Attributes
    ----------
    path
        The file.
    error
        What is wrong with it.
    repair
        The command that replaces it (:func:`repair_command`).
    """

    path: Path
    error: str
    repair: str

    @classmethod
    def of(cls, path: Path, error: str) -> BrokenFile:
        return cls(path, error, repair_command(path))
