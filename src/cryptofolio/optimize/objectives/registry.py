"""The objectives by name: one registry that the optimiser, the backtest and the CLI read."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.objectives.base import ObjectiveSpec

T = TypeVar("T", bound=type[ObjectiveSpec])

_OBJECTIVES: dict[str, type[ObjectiveSpec]] = {}

#: Former keyword names of a spec's parameters (``optimize_portfolio(cvar_alpha=...)``).
LEGACY_NAMES: Mapping[str, str] = {"cvar_alpha": "alpha"}


def register_objective(cls: T) -> T:
    """Class decorator: make the objective ``cls`` known by ``cls.name``."""
    name = str(cls.name)
    if name in _OBJECTIVES and _OBJECTIVES[name] is not cls:
        raise ValueError(f"an objective named {name!r} is already registered")
    _OBJECTIVES[name] = cls
    return cls


def objective_names() -> tuple[str, ...]:
    """The registered objective names, in registration order."""
    return tuple(_OBJECTIVES)


def objective_class(name: str | Enum) -> type[ObjectiveSpec]:
    """The spec class registered as ``name``.

    Raises
    ------
    InfeasibleError
        Unknown name (the message lists the known ones).
    """
    key = name.value if isinstance(name, Enum) else str(name)
    try:
        return _OBJECTIVES[key]
    except KeyError:
        known = ", ".join(_OBJECTIVES)
        raise InfeasibleError(f"unknown objective {key!r}; choose one of: {known}") from None


def make_objective(objective: str | Enum | ObjectiveSpec, **params: Any) -> ObjectiveSpec:
    """A spec from a name and its parameters (``objective`` itself when it is a spec already).

    Raises
    ------
    InfeasibleError
        Unknown objective, or a parameter the objective does not have (the message lists the
        ones it has).
    """
    if isinstance(objective, ObjectiveSpec):
        if params:
            raise InfeasibleError(f"{objective.name}: pass parameters in the spec, not beside it")
        return objective
    cls = objective_class(objective)
    fields = [f.name for f in dataclasses.fields(cls)]
    kwargs = {LEGACY_NAMES.get(k, k): v for k, v in params.items()}
    unknown = sorted(set(kwargs) - set(fields))
    if unknown:
        has = ", ".join(fields) if fields else "none"
        raise InfeasibleError(
            f"{cls.name} has no parameter {', '.join(unknown)} (its parameters: {has})"
        )
    return cls(**kwargs)


def objective_from_keywords(
    objective: str | Enum | ObjectiveSpec, **keywords: Any
) -> ObjectiveSpec:
    """The spec of the keyword API (``optimize_portfolio(objective=..., risk_aversion=...)``),
    which passes every objective's parameters: those the objective has and that are not
    ``None`` are taken, the others ignored."""
    if isinstance(objective, ObjectiveSpec):
        return objective
    cls = objective_class(objective)
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in keywords.items():
        field = LEGACY_NAMES.get(key, key)
        if field in fields and value is not None:
            kwargs[field] = value
    return cls(**kwargs)
