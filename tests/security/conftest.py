"""Fixtures of the security tests (the tiny data set is built in _sec_tiny.py)."""

from __future__ import annotations

import pytest
from _sec_tiny import tiny_data


@pytest.fixture
def tiny():
    return tiny_data()
