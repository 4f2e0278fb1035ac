"""Exceptions raised by cryptofolio.

Every error says what is wrong and how to fix it (which asset, which dates, which constraint).
They all derive from :class:`CryptofolioError`; the ones about bad input also derive from
:class:`ValueError` so generic callers can catch them as such.
"""

from __future__ import annotations


class CryptofolioError(Exception):
    """Base class of every error raised by cryptofolio."""


class DataError(CryptofolioError, ValueError):
    """Market data is missing, malformed, or does not cover what was asked."""


class UnknownSymbolError(DataError, KeyError):
    """A requested symbol or dataset is not available."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SourceError(CryptofolioError):
    """A remote data source (exchange, API) failed after retries."""


class EstimationError(CryptofolioError, ValueError):
    """Returns, covariance or expected returns cannot be estimated from the given data."""


class OptimizationError(CryptofolioError):
    """An optimisation could not produce a verified solution."""


class InfeasibleError(OptimizationError, ValueError):
    """The constraints cannot all hold at once; the message names those in conflict."""


class SolverError(OptimizationError):
    """The solver failed or returned a solution that does not verify; carries the status."""

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class BacktestError(CryptofolioError):
    """A backtest cannot run (bad window, strategy failure on a date, ...)."""


class ForecastError(CryptofolioError, ValueError):
    """A forecasting model cannot be trained or applied to the given data."""


class TradeError(CryptofolioError):
    """Holdings, orders or an exchange call failed."""


class SecurityError(CryptofolioError, ValueError):
    """A proof-of-work security screen cannot be computed from the given data (a coin without
    hash-rate data, a date outside the data, a malformed crypto51 table, hash rates compared
    across algorithms)."""


class OutputPathError(CryptofolioError, ValueError):
    """A file or folder the command was asked to write cannot be written (under a file, a
    read-only place, a folder where a file is wanted); the message names the path and the
    option."""


class LockError(CryptofolioError):
    """A file or dataset is being written by another process (and the caller chose not to
    wait, or the wait timed out); the message names the lock file."""
