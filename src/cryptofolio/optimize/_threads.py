"""Run the dense linear algebra of the optimiser on one BLAS thread.

The active-set solver factorises many small and medium matrices; multi-threaded BLAS gains
little on them and, on a loaded machine, its spinning threads make each call tens of times
slower. The limit costs about 10 microseconds per call and is lifted on return.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")

_CONTROLLER: ThreadpoolController | None = None


def single_blas_thread(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``func`` with BLAS limited to one thread (re-entrant)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        global _CONTROLLER
        if _CONTROLLER is None:
            _CONTROLLER = ThreadpoolController()
        with _CONTROLLER.limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
