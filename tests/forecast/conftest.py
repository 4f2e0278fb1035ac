"""Synthetic panels with a planted predictable component, for the forecast tests."""

from __future__ import annotations

import pytest
from fc_frames import head, make_panels  # noqa: F401  (re-exported for fixtures)


@pytest.fixture(autouse=True)
def _one_thread():
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
