"""cryptofolio: build, backtest and rebalance cryptocurrency portfolios.

The data flows one way, one package per stage::

    data -> estimate -> optimize -> backtest / trade -> report

with :mod:`cryptofolio.forecast` feeding expected returns into ``optimize`` and
:mod:`cryptofolio.cli` a thin shell over the library.
"""

#: The package version (pyproject.toml reads it from here: one place, no import-time lookup).
__version__ = "0.1.0"

__all__ = ["__version__"]
