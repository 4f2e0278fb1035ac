"""Results kept on disk, so that an interrupted sweep resumes from the finished configurations.

Layout of a store folder::

    sweep.json            what the sweep is: the base settings and a fingerprint of the data
    runs/<key>.json       one record per finished configuration (its ConfigurationRun)
    .lock                 filelock held while writing

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace` (atomic on POSIX and Windows), under a :class:`filelock.FileLock`, so a
crash or a second process never leaves a half-written record: a record is there whole or not
at all. Returns are stored as float64 bit patterns in hex, so a resumed run reads back exactly
the numbers it wrote.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.atomic_files import atomic_write_text
from cryptofolio.backtest.sweep.evaluate import ConfigurationRun
from cryptofolio.data import Panels
from cryptofolio.errors import BacktestError
from cryptofolio.locks import LockPolicy, exclusive

FORMAT_VERSION = 1


def panels_fingerprint(panels: Panels) -> str:
    """SHA-256 (16 hex digits) of the close and volume panels: index, columns and values."""
    digest = hashlib.sha256()
    for frame in (panels.close, panels.volume):
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(np.asarray(frame.index.asi8).tobytes())
        digest.update(np.ascontiguousarray(frame.to_numpy(dtype=float)).tobytes())
    return digest.hexdigest()[:16]


def _holds_files(root: Path) -> bool:
    """Whether ``root`` holds anything besides the lock file (another writer's lock is not
    another sweep's data)."""
    return any(p.name != ".lock" for p in root.iterdir())


class ResultsStore:
    """A folder of finished configurations of one sweep.

    Parameters
    ----------
    root
        The folder (created on :meth:`open`).
    identity
        What the sweep is (base settings, data fingerprint; plain JSON). Opening a folder that
        holds another sweep's results raises instead of mixing them.
    lock
        What a write does while another process holds the folder's lock (default: wait up
        to 30 s, then a :class:`~cryptofolio.errors.LockError` naming the folder).
    """

    def __init__(
        self, root: str | Path, identity: Mapping[str, Any], lock: LockPolicy | None = None
    ) -> None:
        self.root = Path(root)
        self.lock_policy = lock or LockPolicy(timeout_s=30.0)
        self.identity = json.loads(json.dumps(dict(identity), sort_keys=True))

    def _lock(self) -> AbstractContextManager[None]:
        """The sweep folder's lock (another process writing it: by default wait up to 30 s,
        then a ``LockError`` naming the folder)."""
        return exclusive(
            self.root / ".lock",
            what=f"the sweep results in {self.root}",
            policy=self.lock_policy,
        )

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def open(self) -> ResultsStore:
        """Create the folder (or check that it holds this sweep) and return ``self``.

        Raises
        ------
        BacktestError
            The folder holds the results of a different sweep (other data or base settings),
            or is not a sweep folder.
        """
        manifest = self.root / "sweep.json"
        if self.root.exists() and _holds_files(self.root) and not manifest.exists():
            raise BacktestError(
                f"{self.root} is not empty and holds no sweep.json; give an empty or new "
                "folder to --output-dir/--resume"
            )
        with self._lock():
            if manifest.exists():
                try:
                    found = json.loads(manifest.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise BacktestError(
                        f"{manifest} is damaged ({type(exc).__name__}: {exc}); delete the "
                        f"folder {self.root} to run the sweep afresh, or give another "
                        "--output-dir"
                    ) from exc
                if found != self.identity:
                    differ = sorted(
                        k
                        for k in set(found) | set(self.identity)
                        if found.get(k) != self.identity.get(k)
                    )
                    raise BacktestError(
                        f"{self.root} holds another sweep (different {', '.join(differ)}); "
                        "resume with the same data and settings, or use a new folder"
                    )
            else:
                _atomic_write(manifest, json.dumps(self.identity, indent=2, sort_keys=True))
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        return self

    def keys(self) -> set[str]:
        """Keys of the finished configurations."""
        if not self.runs_dir.exists():
            return set()
        return {p.stem for p in self.runs_dir.glob("*.json")}

    def save(self, run: ConfigurationRun) -> None:
        """Write the record of one finished configuration (atomically, under the lock)."""
        with self._lock():
            _atomic_write(self.runs_dir / f"{run.key}.json", json.dumps(run_to_record(run)))

    def load(self, key: str) -> ConfigurationRun:
        """The record of ``key``."""
        path = self.runs_dir / f"{key}.json"
        try:
            return record_to_run(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise BacktestError(
                f"cannot read sweep record {path}: {exc}; delete the file to rerun that "
                "configuration"
            ) from exc

    def runs(self, keys: set[str] | None = None) -> Iterator[ConfigurationRun]:
        """The stored records (of ``keys`` only, when given)."""
        for key in sorted(self.keys() if keys is None else keys & self.keys()):
            yield self.load(key)


def run_to_record(run: ConfigurationRun) -> dict[str, Any]:
    """A :class:`ConfigurationRun` as a JSON-ready dict (returns as float64 hex bits)."""
    values = np.ascontiguousarray(run.returns.to_numpy(dtype="<f8"))
    return {
        "version": FORMAT_VERSION,
        "key": run.key,
        "params": dict(run.params),
        "index_ns": [int(t) for t in _ns(run.returns.index)],
        "returns_f64_hex": values.tobytes().hex(),
        "total_return": _number(run.total_return),
        "turnover": _number(run.turnover),
        "costs": _number(run.costs),
        "seconds": run.seconds,
        "error": run.error,
    }


def record_to_run(record: Mapping[str, Any]) -> ConfigurationRun:
    """The inverse of :func:`run_to_record`."""
    values = np.frombuffer(bytes.fromhex(record["returns_f64_hex"]), dtype="<f8")
    index = pd.DatetimeIndex(np.asarray(record["index_ns"], dtype="int64"), tz="UTC")
    return ConfigurationRun(
        key=record["key"],
        params=dict(record["params"]),
        returns=pd.Series(values.astype(float), index=index, name=None),
        total_return=_float(record["total_return"]),
        turnover=_float(record["turnover"]),
        costs=_float(record["costs"]),
        seconds=float(record["seconds"]),
        error=record["error"],
    )


def _number(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _float(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _atomic_write(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def _ns(index: pd.Index) -> np.ndarray:
    if len(index) == 0:
        return np.empty(0, dtype="int64")
    return pd.DatetimeIndex(index).as_unit("ns").asi8
