"""The block-built Series and DataFrames (cryptofolio._frames) against pandas' public
constructors: equal values, labels, names and dtypes, and the same ownership of the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cryptofolio._frames import float_frame, float_series

from cryptofolio import _frames


@pytest.fixture(params=[True, False], ids=["blocks", "public"])
def fast(request, monkeypatch):
    """Run each test on the block path and on the public-constructor fallback."""
    monkeypatch.setattr(_frames, "_FAST", request.param and _frames._FAST)
    return request.param


def test_float_series_equals_public_constructor(fast):
    index = pd.Index(["BTC", "ETH", "SOL"])
    values = np.array([0.5, 0.25, 0.25])
    got = float_series(values, index, "weight")
    want = pd.Series([0.5, 0.25, 0.25], index=["BTC", "ETH", "SOL"], name="weight")
    pd.testing.assert_series_equal(got, want)
    assert got.index is index  # shared, not copied


def test_float_series_owns_a_copy(fast):
    values = np.array([1.0, 2.0])
    got = float_series(values, pd.Index(["a", "b"]), "x")
    values[0] = 99.0  # the caller's array changes: the Series does not
    assert got.iloc[0] == 1.0
    got.iloc[1] = -1.0  # and the Series' changes stay in the Series
    assert values[1] == 2.0


def test_float_series_converts_integers_and_falls_back_on_a_bad_shape(fast):
    got = float_series(np.array([1, 2]), pd.Index(["a", "b"]), "n")
    assert got.dtype == np.float64 and got.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):  # pandas' own error: the lengths differ
        float_series(np.array([1.0, 2.0, 3.0]), pd.Index(["a", "b"]), "n")


def test_float_frame_equals_public_constructor(fast):
    index = pd.Index(["BTC", "ETH"])
    values = np.array([[0.04, 0.01], [0.01, 0.09]])
    got = float_frame(values.copy(), index, index)
    want = pd.DataFrame({"BTC": [0.04, 0.01], "ETH": [0.01, 0.09]}, index=["BTC", "ETH"])
    pd.testing.assert_frame_equal(got, want)
    assert got.columns is index and got.index.is_(index)  # the same Index (a view for rows)
    assert got.to_numpy()[0, 1] == 0.01 and got.loc["ETH", "BTC"] == 0.01


def test_float_frame_of_a_rectangular_array(fast):
    values = np.arange(6.0).reshape(2, 3)
    got = float_frame(values, pd.Index(["r0", "r1"]), pd.Index(["a", "b", "c"]))
    assert got.loc["r1", "a"] == 3.0 and got.loc["r0", "c"] == 2.0
    assert got["b"].tolist() == [1.0, 4.0]


def test_float_frame_other_dtypes_take_the_public_constructor(fast):
    values = np.array([[1, 2], [3, 4]])
    got = float_frame(values, pd.Index(["a", "b"]), pd.Index(["c", "d"]))
    assert got.loc["b", "c"] == 3 and got.dtypes.tolist() == [values.dtype] * 2


def test_changed_internals_fall_back_to_the_public_constructors(monkeypatch):
    if not _frames._FAST:
        pytest.skip("this pandas has no block constructors")

    def broken(*args, **kwargs):
        raise TypeError("new_block() got an unexpected keyword argument")

    for name in ("_new_block", "_new_block_2d"):
        with monkeypatch.context() as patch:
            patch.setattr(_frames, name, broken)
            assert not _frames._blocks_agree()  # the import-time check turns the fast path off

    def wrong(values, placement, ndim):  # builds, but not what the public constructor builds
        return pd.Series(values[::-1])._mgr.blocks[0]

    monkeypatch.setattr(_frames, "_new_block", wrong)
    assert not _frames._blocks_agree()


def test_float_series_names_other_than_strings(fast):
    """A string name is stored directly; any other goes through pandas' own name setter."""
    index = pd.Index(["a"])
    assert float_series(np.array([1.0]), index, ("w", 1)).name == ("w", 1)
    assert float_series(np.array([1.0]), index, None).name is None
    with pytest.raises(TypeError):  # pandas' own error: a name must be hashable
        float_series(np.array([1.0]), index, ["unhashable"])
