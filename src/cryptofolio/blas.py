"""Run dense linear algebra on one BLAS thread (shared by the estimate and optimize stages).

The covariance estimators' Gram products and the active-set solver's many small and medium
factorisations gain little from multi-threaded BLAS, and on a loaded machine its spinning
threads make each call many times slower (docs/benchmarks.md). :func:`single_blas_thread`
limits BLAS to one thread for the duration of a call, through threadpoolctl's public
``ThreadpoolController.limit``, and lifts the limit on return.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def blas_controller() -> ThreadpoolController:
    """threadpoolctl's controller of the BLAS libraries loaded in this process, found once per
    process (the controller holds no thread counts, only which libraries are loaded)."""
    return ThreadpoolController().select(user_api="blas")


def single_blas_thread(
    func: Callable[P, R] | None = None, *, unless: Callable[..., bool] | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: run ``func`` with BLAS limited to one thread.

    ``unless``, when given, is called with the call's arguments; when it returns True the call
    runs without the limit (problems too small for BLAS to start threads, or products large
    enough for the threads to pay)."""

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if unless is not None and unless(*args, **kwargs):
                return f(*args, **kwargs)
            with blas_controller().limit(limits=1):
                return f(*args, **kwargs)

        return wrapper

    return decorate if func is None else decorate(func)
