"""``cryptofolio data fetch``: download market data into the local store."""

from __future__ import annotations


def fetch_command() -> None:
    """Fetch market data into the local store (not implemented yet)."""
    raise NotImplementedError
