"""Checks that an output path can be written, made before the work starts (``--report``,
``--output-dir``, ``--plot``, ``--data-dir``): a long backtest should not end in a traceback
because its report sits under a file or on a read-only disk."""

from __future__ import annotations

import os
from pathlib import Path

from cryptofolio.errors import OutputPathError


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor."""
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output_file(path: str | Path, option: str) -> Path:
    """Raise :class:`OutputPathError` unless the file ``path`` can be written (created with
    its folders, or replaced); ``option`` names the CLI option in the message."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(
            f"{option} {path} is a folder; give a file name such as {path / 'out'}"
        )
    if path.exists():
        if not os.access(path, os.W_OK):
            raise OutputPathError(f"{option} {path}: the file is read-only; choose another path")
        return path
    base = _first_existing(path.parent)
    if not base.is_dir():
        raise OutputPathError(
            f"{option} {path}: {base} is a file, not a folder, so nothing can be written "
            f"under it; choose another path for {option}"
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"{option} {path}: the folder {base} is not writable (read-only or not yours); "
            f"choose another path for {option}"
        )
    return path


def check_output_dir(path: str | Path, option: str) -> Path:
    """Raise :class:`OutputPathError` unless the folder ``path`` exists and is writable or
    can be created; ``option`` names the CLI option in the message."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{option} {path} is a file, not a folder; choose a folder")
    if path.exists():
        if not os.access(path, os.W_OK | os.X_OK):
            raise OutputPathError(
                f"{option} {path}: the folder is not writable (read-only or not yours); "
                f"choose another folder"
            )
        return path
    base = _first_existing(path)
    if not base.is_dir():
        raise OutputPathError(
            f"{option} {path}: {base} is a file, not a folder, so nothing can be written "
            f"under it; choose another folder for {option}"
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"{option} {path}: the folder {base} is not writable (read-only or not yours); "
            f"choose another folder for {option}"
        )
    return path
