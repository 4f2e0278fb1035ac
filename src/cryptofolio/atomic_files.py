"""Atomic file writes: a file is either the old one or the new one, never half of either.

A file is written to a temporary file in the same folder, flushed and ``fsync``-ed, then moved
over the old one with :func:`os.replace` (atomic on POSIX and Windows), and the folder is
``fsync``-ed. A process killed at any point, or a full disk, leaves the old file in place;
readers ignore left-over temporary files (``.<name>.tmp-<pid>-<random>``) and the next write in
the folder removes those of writers that no longer run.

Every file cryptofolio writes goes through :func:`atomic_write_bytes`: the store's Parquet files
and logs, saved forecasters, reports and result files.
"""

from __future__ import annotations

import errno
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cryptofolio.errors import OutputPathError

#: Test hook only: when set to a file path, a writer creates that file after the temporary file
#: is complete and then waits before replacing the old file (so a test can kill it there).
ENV_PAUSE_BEFORE_REPLACE = "CRYPTOFOLIO_STORE_TEST_PAUSE_BEFORE_REPLACE"
#: Test hook only: with :data:`ENV_PAUSE_BEFORE_REPLACE`, pause only before replacing a file of
#: this name (e.g. ``forecaster.json``); other files are written without a pause.
ENV_PAUSE_ONLY_FOR = "CRYPTOFOLIO_STORE_TEST_PAUSE_ONLY_FOR"
_TMP_MARK = ".tmp-"


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (so a replaced file survives a power cut); POSIX only."""
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temporary files left by writers that were killed (their process no longer exists)."""
    removed = []
    for path in folder.glob(f"*{_TMP_MARK}*"):
        try:
            pid = int(path.name.rsplit(_TMP_MARK, 1)[1].split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _pause_for_test(path: Path, tmp: Path) -> None:
    marker = os.environ.get(ENV_PAUSE_BEFORE_REPLACE)
    only = os.environ.get(ENV_PAUSE_ONLY_FOR)
    if marker and (not only or only == path.name):
        Path(marker).write_text(str(tmp))
        time.sleep(600)


def atomic_write_bytes(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` atomically: ``write(fileobj)`` fills a temporary file in the same folder,
    which is fsync-ed and then moved over ``path`` with :func:`os.replace`.

    Raises
    ------
    OutputPathError
        When the disk is full or the quota exceeded (``ENOSPC``, ``EDQUOT``), naming the path;
        the old file is left as it was and the temporary file removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path.parent)
    tmp = path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        _pause_for_test(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutputPathError(
                f"cannot write {path}: no space left on the device ({exc.strerror}); the "
                "previous file, if any, is unchanged: free some space and run the command again"
            ) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """:func:`atomic_write_bytes` for text."""
    data = text.encode(encoding)
    atomic_write_bytes(path, lambda fh: fh.write(data))
