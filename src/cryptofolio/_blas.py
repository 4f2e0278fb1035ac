"""Run dense linear algebra on one BLAS thread (shared by the estimate and optimize stages).

The covariance estimators' Gram products (T x n by n x T, T around a year of days) and the
active-set solver's many small and medium factorisations gain little from multi-threaded BLAS,
and on a loaded machine its spinning threads make each call many times slower (measured on 2
shared cores: a 365 x 50 sample covariance 2.7 ms on two threads, 0.12 ms on one). The limit
costs about 10 microseconds per call and is lifted on return.
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
