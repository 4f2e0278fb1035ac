"""The BLAS thread limit: one thread inside a decorated call, restored after, and BLAS's own
count inside a large product's region (read back through threadpoolctl, independently of the
code under test)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loads SciPy's BLAS too)
from cryptofolio._blas import LARGE_PRODUCT, blas_threads_for, single_blas_thread
from threadpoolctl import threadpool_info, threadpool_limits


def _blas_threads() -> list[int]:
    return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


@pytest.fixture
def two_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_limit_inside_and_restored_after(two_threads):
    before = _blas_threads()
    assert before and max(before) == 2
    seen = {}

    @single_blas_thread
    def inner():
        seen["inner"] = _blas_threads()
        with blas_threads_for(LARGE_PRODUCT):
            seen["large"] = _blas_threads()
        with blas_threads_for(LARGE_PRODUCT / 10):
            seen["small"] = _blas_threads()
        seen["after_large"] = _blas_threads()
        return np.ones(3) @ np.ones(3)

    @single_blas_thread
    def outer():
        seen["outer"] = _blas_threads()
        return inner()

    assert outer() == 3.0
    assert set(seen["outer"]) == {1} and set(seen["inner"]) == {1}
    assert seen["large"] == before
    assert set(seen["small"]) == {1} and set(seen["after_large"]) == {1}
    assert _blas_threads() == before


def test_restored_when_the_call_raises(two_threads):
    before = _blas_threads()

    @single_blas_thread
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert _blas_threads() == before


def test_small_problems_skip_the_limit(two_threads):
    before = _blas_threads()

    @single_blas_thread(small=lambda n: n < 10)
    def probe(n):
        return _blas_threads()

    assert probe(5) == before
    assert set(probe(50)) == {1}


def test_large_product_outside_a_limited_call_changes_nothing(two_threads):
    before = _blas_threads()
    with blas_threads_for(LARGE_PRODUCT * 10):
        assert _blas_threads() == before


class _FakeBlas:
    """A BLAS library as threadpoolctl describes it, recording the thread counts set."""

    user_api = "blas"
    internal_api = "fake"

    def __init__(self, threading_layer: str, threads: int) -> None:
        self.threading_layer = threading_layer
        self.threads = threads
        self.calls: list[str] = []

    def get_num_threads(self) -> int:
        self.calls.append("get")
        return self.threads

    def set_num_threads(self, count: int) -> None:
        self.calls.append(f"set {count}")
        self.threads = count


def test_libraries_without_threads_are_left_alone(monkeypatch):
    import cryptofolio._blas as blas

    threaded, single = _FakeBlas("pthreads", 2), _FakeBlas("disabled", 1)

    class Controller:
        def __init__(self) -> None:
            self.lib_controllers = [threaded, single]

    monkeypatch.setattr(blas, "ThreadpoolController", Controller)
    monkeypatch.setattr(blas, "_LIBS", None)
    monkeypatch.setattr(blas, "_CONTROLS", None)

    @single_blas_thread
    def solve():
        return threaded.threads

    assert solve() == 1 and threaded.threads == 2  # limited inside, restored after
    assert threaded.calls == ["get", "set 1", "set 2"]
    assert single.calls == []  # a library built without threads is never asked
