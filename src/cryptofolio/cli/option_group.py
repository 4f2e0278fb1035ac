"""Option groups: many typer options that reach a command as one built value.

typer reads a command's signature, so a group of options must appear there as separate
parameters; the command itself should receive the one value they describe (a
``PortfolioConfig``, a ``TrainingOptions``). :func:`install_option_group` rewrites the
signature typer reads and builds the value on each call. Used by
:func:`~cryptofolio.cli.portfolio_options.with_portfolio_options` and
:func:`~cryptofolio.cli.forecast_options.with_training_options`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cryptofolio.cli.config_file import CONFIG_PARAM, config_parameter

F = TypeVar("F", bound=Callable[..., Any])


def install_option_group(
    func: F,
    *,
    name: str,
    options: Sequence[inspect.Parameter],
    build: Callable[[dict[str, Any]], Any],
    declare: str,
    what: str,
    config_file: bool = True,
) -> F:
    """Replace ``func``'s keyword-only parameter ``name`` by ``options`` in the signature typer
    reads (at the same place, so ``--help`` lists them there), and on each call pass
    ``build(values)`` as ``name``, ``values`` being the options' values by parameter name
    (defaults applied).

    The first group installed on a command also appends ``--config FILE``
    (:mod:`cryptofolio.cli.config_file`) to its signature: every command with option groups
    reads a portfolio spec file, its options overriding it (``config_file=False``: not this
    group; for a command outside :data:`~cryptofolio.cli.config_file.COMMAND_TABLES`).

    ``declare`` is the declaration the command should have (e.g.
    ``'*, config: PortfolioConfig'``) and ``what`` names the group in errors ("optimiser").

    Raises
    ------
    TypeError
        At decoration: ``func`` has no keyword-only ``name`` parameter, or has a parameter
        named like one of the options.
    """
    signature = inspect.signature(func, eval_str=True)
    placeholder = signature.parameters.get(name)
    if placeholder is None or placeholder.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise TypeError(
            f"{func.__qualname__} has no keyword-only {name!r} parameter; declare "
            f"{declare!r} where the {what} options belong in --help"
        )
    clash = sorted(set(signature.parameters) & {o.name for o in options})
    if clash:
        raise TypeError(
            f"{func.__qualname__} has parameters named like {what} options {clash}; "
            "rename them or exclude those options"
        )
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        params.extend(options if param is placeholder else [param])
    adds_config = config_file and CONFIG_PARAM not in signature.parameters
    if adds_config:
        params.append(config_parameter())
    visible = signature.replace(parameters=params)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = visible.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        values = {option.name: arguments.pop(option.name) for option in options}
        if adds_config:
            arguments.pop(CONFIG_PARAM)  # read by its option's callback already
        return func(**arguments, **{name: build(values)})

    wrapper.__signature__ = visible  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    if signature.return_annotation is not inspect.Signature.empty:
        wrapper.__annotations__["return"] = signature.return_annotation
    return wrapper  # type: ignore[return-value]


def keyword_option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    """One option of a group: a keyword-only parameter ``name`` with its typer alias
    ``annotation`` (``Annotated[type, typer.Option(...)]``) and its default."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def with_option_group(
    name: str,
    options: Sequence[inspect.Parameter],
    build: Callable[[dict[str, Any]], Any],
    *,
    what: str,
    config_file: bool = True,
) -> Callable[[F], F]:
    """Decorator form of :func:`install_option_group`: the command declares a keyword-only
    parameter ``name`` where ``options`` belong in ``--help`` and receives ``build(values)``.
    Decorators stack: the outermost group's value is built first."""

    def decorate(func: F) -> F:
        return install_option_group(
            func,
            name=name,
            options=options,
            build=build,
            declare=f"*, {name}: ...",
            what=what,
            config_file=config_file,
        )

    return decorate


def option_given(ctx: Any, name: str) -> bool:
    """Whether the running command's parameter ``name`` was set by the user (command line,
    environment or ``--config`` file) rather than left at its default. Compared by the
    source's name: typer carries its own copy of click, whose enum is not ``click``'s."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"
