"""Fixtures shared by every test folder.

A fixture here reaches the tests of every folder below, both when the whole suite runs and
when one folder or file does, without an import. (Helpers are not imported from here: each
folder's own ``conftest.py`` is also imported under the module name ``conftest``, so
``from conftest import ...`` would be ambiguous.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def read_error(tmp_path: Path) -> Callable[..., pytest.ExceptionInfo[Exception]]:
    """Check that reading a file fails with a clear error.

    ``read_error(reader, name, text, error, match)`` writes ``text`` to ``tmp_path / name``
    (``text=None`` leaves the file absent), calls ``reader`` on that path, checks that it raises
    ``error`` with a message matching the regular expression ``match`` and returns the
    :class:`pytest.ExceptionInfo`.
    """

    def check(
        reader: Callable[[Path], Any],
        name: str,
        text: str | None,
        error: type[Exception],
        match: str,
    ) -> pytest.ExceptionInfo[Exception]:
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(error, match=match) as info:
            reader(path)
        return info

    return check
