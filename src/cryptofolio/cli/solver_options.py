"""The solver options of ``cryptofolio optimize``: ``--solver exact|gradient`` and the gradient
engine's ``--lr``, ``--iterations``, ``--tol``, ``--gradient-method`` and ``--device`` (the
names are a contract), built into one :class:`SolverChoice`.

A command takes them with :func:`with_solver_options`: it declares a keyword-only
``solver: SolverChoice`` parameter where the options belong in ``--help``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.errors import OptimizationError
from cryptofolio.optimize.gradient import GradientSpec, Method


class Solver(StrEnum):
    """Which optimiser solves the portfolio."""

    EXACT = "exact"
    GRADIENT = "gradient"


SolverOpt = Annotated[
    Solver,
    typer.Option(
        "--solver",
        help="exact (the convex solvers) or gradient (PyTorch gradient descent, the 'gradient' "
        "extra; min-variance, max-sharpe, max-utility).",
    ),
]
LrOpt = Annotated[
    float | None,
    typer.Option("--lr", help="Gradient solver: learning rate in weight units (default 0.05)."),
]
IterationsOpt = Annotated[
    int | None,
    typer.Option("--iterations", help="Gradient solver: most update steps (default 2000)."),
]
TolOpt = Annotated[
    float | None,
    typer.Option(
        "--tol",
        help="Gradient solver: stop when the first-order (KKT) residual is below this "
        "(default 1e-9).",
    ),
]
MethodOpt = Annotated[
    Method | None,
    typer.Option(
        "--gradient-method",
        help="Gradient solver: adam (default), gd (projected gradient descent) or mirror "
        "(exponentiated gradient, long-only).",
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", help="Gradient solver: cpu (default), cuda or auto."),
]

#: the gradient-only options: parameter name -> flag (for the error when given without it)
_GRADIENT_FLAGS = {
    "lr": "--lr",
    "iterations": "--iterations",
    "tol": "--tol",
    "method": "--gradient-method",
    "device": "--device",
}


@dataclass(frozen=True)
class SolverChoice:
    """The solver the options ask for: ``gradient`` ``None`` is the exact optimiser, else the
    gradient engine's :class:`~cryptofolio.optimize.gradient.GradientSpec`."""

    gradient: GradientSpec | None = None


def solver_choice(values: dict[str, Any]) -> SolverChoice:
    """The :class:`SolverChoice` of the options' ``values`` (by parameter name).

    Raises
    ------
    OptimizationError
        A gradient option was given without ``--solver gradient`` (it would be ignored), or a
        value is out of range (names the flag).
    """
    given = {k: v for k, v in values.items() if k in _GRADIENT_FLAGS and v is not None}
    if Solver(values["solver_name"]) is Solver.EXACT:
        if given:
            flags = ", ".join(_GRADIENT_FLAGS[k] for k in given)
            raise OptimizationError(
                f"{flags} only apply to the gradient solver; add --solver gradient, or drop them"
            )
        return SolverChoice()
    for name, value in given.items():  # one at a time, so the error names its flag
        try:
            GradientSpec(**{name: value})
        except OptimizationError as exc:
            raise OptimizationError(f"{_GRADIENT_FLAGS[name]}: {exc}") from exc
    return SolverChoice(GradientSpec(**given))


def with_solver_options():
    """Decorator giving a command the solver options as one ``solver: SolverChoice``."""
    return with_option_group(
        "solver",
        [
            keyword_option("solver_name", SolverOpt, Solver.EXACT),
            keyword_option("lr", LrOpt, None),
            keyword_option("iterations", IterationsOpt, None),
            keyword_option("tol", TolOpt, None),
            keyword_option("method", MethodOpt, None),
            keyword_option("device", DeviceOpt, None),
        ],
        solver_choice,
        what="solver",
    )
