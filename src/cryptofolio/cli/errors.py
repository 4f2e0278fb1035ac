"""Turn errors into a one-line message and a non-zero exit code.

A :class:`~cryptofolio.errors.CryptofolioError` names its fault (exit 2); a file that cannot be
read or written names its path (exit 2); anything else is a bug: one line with its type and
message and the way to see the traceback (``--debug`` or ``CRYPTOFOLIO_DEBUG=1``), exit 1.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.exceptions import TyperException

from cryptofolio.errors import CryptofolioError

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True)

DEBUG_ENV = "CRYPTOFOLIO_DEBUG"  # also in cli/__init__.py, which imports nothing heavy


def debug_requested() -> bool:
    """Whether ``CRYPTOFOLIO_DEBUG`` is set (not ``0``/empty; ``cryptofolio --debug`` sets it
    for its process): then unexpected errors show their traceback."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _error(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, markup=True)


def handle_errors(func: F) -> F:
    """Decorator for commands: a :class:`CryptofolioError` prints ``error: ...`` and exits 2;
    an ``OSError`` on a file prints its path and exits 2; any other exception prints one line
    and how to see the traceback, and exits 1 (with ``--debug`` it is raised as it is)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CryptofolioError as exc:
            _error(str(exc))
            raise typer.Exit(code=2) from exc
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except OSError as exc:
            if debug_requested():
                raise
            where = f" {exc.filename}" if exc.filename else ""
            _error(
                f"cannot use the file{where}: {exc.strerror or exc}; check the path and its "
                "permissions (run with --debug or CRYPTOFOLIO_DEBUG=1 for the traceback)"
            )
            raise typer.Exit(code=2) from exc
        except Exception as exc:
            if debug_requested():
                raise
            _error(
                f"unexpected {type(exc).__name__}: {exc} (a bug; run with --debug or "
                f"{DEBUG_ENV}=1 to see the traceback, and report it)"
            )
            raise typer.Exit(code=1) from exc

    return wrapper  # type: ignore[return-value]
