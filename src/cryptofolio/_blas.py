"""Run dense linear algebra on one BLAS thread (shared by the estimate and optimize stages).

The covariance estimators' Gram products (T x n by n x T, T around a year of days) and the
active-set solver's many small and medium factorisations gain little from multi-threaded BLAS,
and on a loaded machine its spinning threads make each call many times slower (measured on 2
shared cores: a 365 x 50 sample covariance 2.7 ms on two threads, 0.12 ms on one). The limit
costs a few microseconds per call and is lifted on return; nested calls (a backtest calling
the estimators and the optimiser at every rebalance) pay it once, at the outermost call.

Large Gram products are the exception: from 1e8 multiply-adds (1500 daily returns of about
365 assets) the threads pay for themselves (measured on 2 cores: 1500 x 1000, 31 ms on one
thread, 17 ms on two), so :func:`blas_threads_for` gives such a product BLAS's own thread count
back inside a limited region. Smaller ones gain less than they risk: 1500 x 200 took 1.05 ms on
one thread and 0.83 ms on two on an idle machine, but a median of 40 ms on two while another
job kept the second core busy.

The BLAS libraries are found once by threadpoolctl (those built without threads, such as the
OpenBLAS that SCS bundles, are left out: they never run more than one); the limit then calls
each library's ``set_num_threads`` directly (threadpoolctl's ``limit`` context re-reads every
library's state on each use: about three times the cost, more on cold caches).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")

_LIBS: list[Any] | None = None  # threadpoolctl's controllers of the loaded BLAS libraries
# (get, set) thread-count functions of each library in _LIBS (see _thread_controls)
_CONTROLS: list[tuple[Callable[[], Any], Callable[[int], Any]]] | None = None
_STATE = threading.local()  # .depth: decorated calls entered; .saved: [(setter, threads)]

#: Multiply-adds from which a Gram product runs on BLAS's own thread count (see above).
LARGE_PRODUCT = 1e8


def _blas_libraries() -> list[Any]:
    global _LIBS
    if _LIBS is None:
        _LIBS = [
            c
            for c in ThreadpoolController().lib_controllers
            if c.user_api == "blas" and getattr(c, "threading_layer", None) != "disabled"
        ]
    return _LIBS


def _thread_controls(lib: Any) -> tuple[Callable[[], Any], Callable[[int], Any]]:
    """The (get, set) thread-count functions of one BLAS library: for OpenBLAS with its own
    thread pool (the wheels of NumPy and SciPy), its C functions ``openblas_get_num_threads``
    and ``openblas_set_num_threads`` themselves, found once (threadpoolctl looks them up by
    name on every call, which costs more than the rest of a small estimate's bookkeeping);
    threadpoolctl's methods for any other library or layout."""
    lookup = getattr(lib, "_get_symbol", None)
    if (
        lookup is not None
        and getattr(lib, "internal_api", None) == "openblas"
        and getattr(lib, "threading_layer", None) == "pthreads"
    ):
        get, put = lookup("openblas_get_num_threads"), lookup("openblas_set_num_threads")
        if get is not None and put is not None:
            return get, put
    return lib.get_num_threads, lib.set_num_threads


def _controls() -> list[tuple[Callable[[], Any], Callable[[int], Any]]]:
    global _CONTROLS
    if _CONTROLS is None:
        _CONTROLS = [_thread_controls(lib) for lib in _blas_libraries()]
    return _CONTROLS


def _set_threads(count: int) -> list[tuple[Callable[[int], Any], int]]:
    """Set every BLAS library to ``count`` threads; returns the (setter, previous count) of
    those that changed."""
    changed = []
    for get, put in _controls():
        old = get()
        if old is not None and old != count:
            put(count)
            changed.append((put, old))
    return changed


def _restore(changed: list[tuple[Callable[[int], Any], int]]) -> None:
    for put, old in changed:
        put(old)


_NO_CHANGE = contextlib.nullcontext()  # reusable: enters and exits without doing anything


def blas_threads_for(multiply_adds: float) -> contextlib.AbstractContextManager[None]:
    """Inside a :func:`single_blas_thread` call, run a product of ``multiply_adds`` on BLAS's
    own thread count when it reaches :data:`LARGE_PRODUCT`; otherwise change nothing (a
    context that does nothing, without the cost of entering a generator)."""
    saved = getattr(_STATE, "saved", None)
    if multiply_adds < LARGE_PRODUCT or not saved:
        return _NO_CHANGE
    return _lifted(saved)


@contextlib.contextmanager
def _lifted(saved: list[tuple[Callable[[int], Any], int]]) -> Iterator[None]:
    _restore(saved)
    try:
        yield
    finally:
        for put, _ in saved:
            put(1)


def single_blas_thread(
    func: Callable[P, R] | None = None, *, small: Callable[..., bool] | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: run ``func`` with BLAS limited to one thread (re-entrant: only the outermost
    decorated call sets and lifts the limit).

    ``small``, when given, is called with the call's arguments; when it returns True the call
    runs without touching the limit (for problems too small for BLAS to start threads)."""

    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if getattr(_STATE, "depth", 0) or (small is not None and small(*args, **kwargs)):
                return f(*args, **kwargs)
            _STATE.depth = 1
            _STATE.saved = []
            try:
                _STATE.saved = _set_threads(1)
                return f(*args, **kwargs)
            finally:
                _restore(_STATE.saved)
                _STATE.saved = None
                _STATE.depth = 0

        return wrapper

    return decorate if func is None else decorate(func)
