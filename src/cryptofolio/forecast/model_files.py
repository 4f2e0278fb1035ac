"""The two files of a saved forecaster: written atomically under a lock, read with clear errors.

Layout of a model folder::

    model.pt           the network's weights (a torch state dict)
    forecaster.json    features, normalisation, training report, and the SHA-256 of model.pt
    .lock              held while saving

Each file is replaced atomically (:mod:`cryptofolio.atomic_files`): a save that is killed or
meets a full disk leaves the old file. ``model.pt`` is written first and ``forecaster.json``,
which names the SHA-256 of the weights it belongs with, last; a save interrupted between the two
leaves a pair that does not match, and :func:`read_model_files` says so instead of loading
weights with the wrong description. Two saves into one folder run one after the other
(:mod:`cryptofolio.locks`).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptofolio.atomic_files import atomic_write_bytes
from cryptofolio.errors import ForecastError
from cryptofolio.forecast._torch import import_torch
from cryptofolio.locks import LockPolicy, exclusive

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.pt"
META_FILE = "forecaster.json"
LOCK_FILE = ".lock"
#: Keys every forecaster.json holds.
META_KEYS = ("format_version", "spec", "features", "assets", "normalisation", "periods_per_year")


def _fix(directory: Path) -> str:
    return (
        f"retrain it with `cryptofolio forecast train --model-dir {directory}` "
        "(or restore the folder from a backup)"
    )


@dataclass(frozen=True)
class ModelFiles:
    """What a model folder holds: the description (``forecaster.json``) and the weights."""

    meta: dict[str, Any]
    state: dict[str, Any]


def write_model_files(
    directory: str | Path,
    state: dict[str, Any],
    meta: dict[str, Any],
    lock: LockPolicy | None = None,
) -> Path:
    """Save ``state`` (the weights) and ``meta`` (the description) into ``directory``.

    Raises
    ------
    LockError
        When another process is saving into the folder and ``lock`` says not to wait.
    OutputPathError
        When the disk is full (the old files are left as they were).
    """
    torch = import_torch()
    path = Path(directory)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    weights = buffer.getvalue()
    described = {**meta, "weights_sha256": hashlib.sha256(weights).hexdigest()}
    text = (json.dumps(described, indent=2, default=str) + "\n").encode("utf-8")
    with exclusive(path / LOCK_FILE, what=f"model folder {path}", policy=lock):
        atomic_write_bytes(path / WEIGHTS_FILE, lambda fh: fh.write(weights))
        atomic_write_bytes(path / META_FILE, lambda fh: fh.write(text))
    return path


def _read_meta(path: Path) -> dict[str, Any]:
    meta_file = path / META_FILE
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ForecastError(
            f"{meta_file} is damaged and cannot be read ({type(exc).__name__}: {exc}); {_fix(path)}"
        ) from exc
    if not isinstance(meta, dict):
        raise ForecastError(f"{meta_file} is not a forecaster description; {_fix(path)}")
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ForecastError(f"{meta_file} lacks {', '.join(missing)}; {_fix(path)}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ForecastError(
            f"{path}: format version {meta.get('format_version')} is not supported "
            f"(expected {FORMAT_VERSION}); retrain the model"
        )
    return meta


def read_model_files(directory: str | Path, *, device: str = "cpu") -> ModelFiles:
    """Read a model folder written by :func:`write_model_files`.

    Raises
    ------
    ForecastError
        Naming the file and the fix: a folder without the two files, a truncated or damaged
        ``forecaster.json`` or ``model.pt``, or a pair that does not belong together (a save
        interrupted between the two files).
    """
    torch = import_torch()
    path = Path(directory)
    meta_file, weights_file = path / META_FILE, path / WEIGHTS_FILE
    if not meta_file.is_file() or not weights_file.is_file():
        raise ForecastError(
            f"{path} is not a saved forecaster (needs {META_FILE} and {WEIGHTS_FILE}); "
            "train one with `cryptofolio forecast train --model-dir DIR`"
        )
    meta = _read_meta(path)
    weights = weights_file.read_bytes()
    expected = meta.get("weights_sha256")
    if expected is not None and hashlib.sha256(weights).hexdigest() != expected:
        raise ForecastError(
            f"{weights_file} does not belong with {meta_file} (their checksums differ: a save "
            f"was interrupted between the two files, or one was replaced); {_fix(path)}"
        )
    try:
        state = torch.load(io.BytesIO(weights), map_location=device, weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, pickle and EOF errors for bad files
        raise ForecastError(
            f"{weights_file} is damaged and cannot be read ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:160]}); {_fix(path)}"
        ) from exc
    if not isinstance(state, dict):
        raise ForecastError(f"{weights_file} holds no weights; {_fix(path)}")
    return ModelFiles(meta=meta, state=state)
