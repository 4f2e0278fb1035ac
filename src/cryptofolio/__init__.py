"""cryptofolio: build, backtest and rebalance cryptocurrency portfolios.

The data flows one way, one package per stage::

    data -> estimate -> optimize -> backtest / trade -> report

with :mod:`cryptofolio.forecast` feeding expected returns into ``optimize`` and
:mod:`cryptofolio.cli` a thin shell over the library.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cryptofolio")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
