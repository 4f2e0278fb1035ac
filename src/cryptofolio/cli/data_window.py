"""The price window the data options describe: load (:class:`~cryptofolio.cli.options.DataOptions`)
-> :func:`cryptofolio.estimate.market_window` of the requested assets."""

from __future__ import annotations

from cryptofolio.cli.options import DataOptions
from cryptofolio.data import parse_symbols
from cryptofolio.estimate import Window, market_window


def load_window(data: DataOptions) -> Window:
    """The common window of the requested assets (default: every asset in the data) within
    ``--start``/``--end``. Nothing is filled."""
    return market_window(
        data.load(start=data.start), parse_symbols(data.assets), data.start, data.end
    )
