"""Run dense linear algebra on one BLAS thread (shared by the estimate and optimize stages).

The covariance estimators' Gram products (T x n by n x T, T around a year of days) and the
active-set solver's many small and medium factorisations gain little from multi-threaded BLAS,
and on a loaded machine its spinning threads make each call many times slower (measured on 2
shared cores: a 365 x 50 sample covariance 2.7 ms on two threads, 0.12 ms on one). The limit
costs about 10 microseconds per call and is lifted on return; nested calls (a backtest calling
the estimators and the optimiser at every rebalance) pay it once, at the outermost call.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")

_CONTROLLER: ThreadpoolController | None = None
_STATE = threading.local()  # .depth: how many decorated calls this thread is inside


def single_blas_thread(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``func`` with BLAS limited to one thread (re-entrant: only the outermost
    decorated call sets and lifts the limit)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        global _CONTROLLER
        depth = getattr(_STATE, "depth", 0)
        if depth:
            return func(*args, **kwargs)
        if _CONTROLLER is None:
            _CONTROLLER = ThreadpoolController()
        _STATE.depth = 1
        try:
            with _CONTROLLER.limit(limits=1, user_api="blas"):
                return func(*args, **kwargs)
        finally:
            _STATE.depth = 0

    return wrapper
