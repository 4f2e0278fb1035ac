"""The root command group, which imports a command's module only when that command runs.

The command modules import the library (pandas, scipy, cvxpy, ccxt, torch...), which takes
seconds; ``cryptofolio --help``, ``--version`` and the completion of command names need none of
it. :class:`LazyGroup` knows each command by a :class:`LazyCommand` (name, module, one-line
summary): listing the commands shows the summaries, resolving one imports its module and builds
it through the module's ``register(app)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.core
import typer.main

_LISTING = "cryptofolio.listing"  # ctx.meta key: commands are listed, not run


@dataclass(frozen=True)
class LazyCommand:
    """A command of the root group: its ``name``, the ``cryptofolio.cli`` module whose
    ``register(app)`` adds it, and the first paragraph of its help (shown in the root
    ``--help``; a test checks it against the command's docstring)."""

    name: str
    module: str
    summary: str


class LazyGroup(typer.core.TyperGroup):
    """A typer group whose commands are the subclass's :attr:`lazy` ones, imported on use."""

    lazy: ClassVar[tuple[LazyCommand, ...]] = ()

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(c.name for c in self.lazy)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        spec = next((c for c in self.lazy if c.name == cmd_name), None)
        if spec is None:
            return None
        if ctx.meta.get(_LISTING):  # a row of a listing: the summary is enough
            return typer.core.TyperCommand(
                spec.name, help=spec.summary, rich_markup_mode=self.rich_markup_mode
            )
        command = self._load(spec)
        self.add_command(command, spec.name)
        return command

    def _load(self, spec: LazyCommand) -> Any:
        module = importlib.import_module(f"cryptofolio.cli.{spec.module}")
        holder = typer.Typer(rich_markup_mode=self.rich_markup_mode, add_completion=False)
        module.register(holder)
        return typer.main.get_group(holder).commands[spec.name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _listing(ctx):
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        with _listing(ctx):
            return super().shell_complete(ctx, incomplete)


class _listing:
    """Within it, ``ctx``'s group lists its commands without importing them."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def __enter__(self) -> None:
        self.ctx.meta[_LISTING] = True

    def __exit__(self, *exc: object) -> None:
        self.ctx.meta.pop(_LISTING, None)
