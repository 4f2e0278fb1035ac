"""Fixtures for the source tests; the replay machinery lives in sources_replay.py."""

from __future__ import annotations

from typing import Any

import pytest
from sources_replay import BinanceReplay, BybitReplay, load_fixture


@pytest.fixture
def klines() -> dict[str, list[list[Any]]]:
    return load_fixture("binance_klines.json")


@pytest.fixture
def sleeps() -> list[float]:
    """Collects the waits a source asks for; nothing actually sleeps."""
    return []


@pytest.fixture
def binance_server(klines) -> BinanceReplay:
    return BinanceReplay(klines)


@pytest.fixture
def bybit_server(klines) -> BybitReplay:
    return BybitReplay(klines)
