"""The BLAS thread limit: one thread inside a decorated call, restored after (read back through
threadpoolctl's threadpool_info, independently of the code under test)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loads SciPy's BLAS too)
from threadpoolctl import threadpool_info, threadpool_limits

from cryptofolio.blas import single_blas_thread
from cryptofolio.estimate.risk_models import LARGE_PRODUCT, _large_product


def _blas_threads() -> list[int]:
    return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


@pytest.fixture
def two_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_limit_inside_nested_calls_and_restored_after(two_threads):
    before = _blas_threads()
    assert before and max(before) == 2
    seen = {}

    @single_blas_thread
    def inner():
        seen["inner"] = _blas_threads()
        return np.ones(3) @ np.ones(3)

    @single_blas_thread
    def outer():
        seen["outer"] = _blas_threads()
        value = inner()
        seen["after_inner"] = _blas_threads()
        return value

    assert outer() == 3.0
    assert set(seen["outer"]) == {1} and set(seen["inner"]) == {1}
    assert set(seen["after_inner"]) == {1}
    assert _blas_threads() == before


def test_restored_when_the_call_raises(two_threads):
    before = _blas_threads()

    @single_blas_thread
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert _blas_threads() == before


def test_unless_skips_the_limit(two_threads):
    before = _blas_threads()

    @single_blas_thread(unless=lambda n: n < 10)
    def probe(n):
        return _blas_threads()

    assert probe(5) == before
    assert set(probe(50)) == {1}


def test_large_gram_products_run_on_blas_own_threads():
    big = np.zeros((1500, 400))  # 1500 * 400**2 / 2 = 1.2e8 multiply-adds
    assert 1500 * 400**2 / 2 >= LARGE_PRODUCT
    assert _large_product(big)
    assert not _large_product(np.zeros((365, 50)))
