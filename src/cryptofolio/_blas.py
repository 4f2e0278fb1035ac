"""Run dense linear algebra on one BLAS thread (shared by the estimate and optimize stages).

The covariance estimators' Gram products (T x n by n x T, T around a year of days) and the
active-set solver's many small and medium factorisations gain little from multi-threaded BLAS,
and on a loaded machine its spinning threads make each call many times slower (measured on 2
shared cores: a 365 x 50 sample covariance 2.7 ms on two threads, 0.12 ms on one). The limit
costs about 10 microseconds per call and is lifted on return; nested calls (a backtest calling
the estimators and the optimiser at every rebalance) pay it once, at the outermost call.

Large Gram products are the exception: from about 2e7 multiply-adds (1500 daily returns of
about 120 assets) the threads pay for themselves (measured on 2 cores: 1500 x 200, 1.4 ms on
one thread, 0.85 ms on two; 1500 x 1000, 31 ms and 17 ms), so :func:`blas_threads_for` gives
such a product BLAS's own thread count back inside a limited region.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")

_CONTROLLER: ThreadpoolController | None = None
_BLAS_THREADS = 1  # BLAS's own thread count, read when the controller is created
_STATE = threading.local()  # .depth: how many decorated calls this thread is inside

#: Multiply-adds from which a Gram product runs on BLAS's own thread count (see above).
LARGE_PRODUCT = 2e7


def _controller() -> ThreadpoolController:
    global _CONTROLLER, _BLAS_THREADS
    if _CONTROLLER is None:
        controller = ThreadpoolController()
        counts = [c.num_threads for c in controller.lib_controllers if c.user_api == "blas"]
        _BLAS_THREADS = max(counts, default=1)
        _CONTROLLER = controller
    return _CONTROLLER


@contextlib.contextmanager
def blas_threads_for(multiply_adds: float) -> Iterator[None]:
    """Inside a :func:`single_blas_thread` call, run a product of ``multiply_adds`` on BLAS's
    own thread count when it reaches :data:`LARGE_PRODUCT`; otherwise change nothing."""
    if multiply_adds < LARGE_PRODUCT or not getattr(_STATE, "depth", 0) or _BLAS_THREADS <= 1:
        yield
        return
    with _controller().limit(limits=_BLAS_THREADS, user_api="blas"):
        yield


def single_blas_thread(
    func: Callable[P, R] | None = None, *, small: Callable[..., bool] | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: run ``func`` with BLAS limited to one thread (re-entrant: only the outermost
    decorated call sets and lifts the limit).

    ``small``, when given, is called with the call's arguments; when it returns True the call
    runs without touching the limit (for problems too small for BLAS to start threads: the
    limit then costs more than it saves, about 20 microseconds, three times that on cold
    caches)."""

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if getattr(_STATE, "depth", 0) or (small is not None and small(*args, **kwargs)):
                return f(*args, **kwargs)
            controller = _controller()
            _STATE.depth = 1
            try:
                with controller.limit(limits=1, user_api="blas"):
                    return f(*args, **kwargs)
            finally:
                _STATE.depth = 0

        return wrapper

    return decorate if func is None else decorate(func)
