"""Warnings that point at the caller's line, not at cryptofolio's internals."""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def user_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn` that names the first frame outside the
    cryptofolio package: the user's own call, however many of cryptofolio's functions and
    decorators (the BLAS limit, for one) lie in between. Call it from the function that warns.
    """
    level = 1  # stacklevel 1 is the function that calls warnings.warn
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level
