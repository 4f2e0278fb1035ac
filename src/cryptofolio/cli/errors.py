"""Turn library errors into a one-line message and a non-zero exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cryptofolio.errors import CryptofolioError

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True)


def handle_errors(func: F) -> F:
    """Decorator for commands: a :class:`CryptofolioError` prints ``error: ...`` and exits 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CryptofolioError as exc:
            # escaped: a message may hold brackets (`pip install "cryptofolio[gradient]"`)
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(code=2) from exc

    return wrapper  # type: ignore[return-value]
