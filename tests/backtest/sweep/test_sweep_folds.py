"""Purged and embargoed walk-forward and CPCV splits (López de Prado, Advances in Financial
Machine Learning, 2018: §7.4 purging and embargo, §12.4 combinatorial purged CV)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptofolio.backtest.sweep import cpcv_folds, cpcv_paths, walk_forward_folds
from cryptofolio.errors import BacktestError


def gaps(train: np.ndarray, test: np.ndarray) -> tuple[int, int]:
    """Smallest distance from a training row after a test row, and before one."""
    after = [s - t for s in train for t in test if s > t]
    before = [t - s for s in train for t in test if s < t]
    return min(after, default=10**9), min(before, default=10**9)


def test_walk_forward_blocks():
    folds = walk_forward_folds(100, 4, purge=3)
    assert [f.test.tolist()[:1] + f.test.tolist()[-1:] for f in folds] == [
        [20, 39],
        [40, 59],
        [60, 79],
        [80, 99],
    ]
    for f in folds:
        assert f.train.tolist() == list(range(f.test[0] - 3))  # everything before, purged


@given(
    n_rows=st.integers(30, 200),
    groups=st.integers(3, 8),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_cpcv_structure_purging_and_embargo(n_rows, groups, data):
    k = data.draw(st.integers(1, groups - 1))
    embargo = data.draw(st.integers(0, 3))
    purge = data.draw(st.integers(0, 3))
    if n_rows // groups <= 2 * max(embargo, purge) + 1:
        return
    folds = cpcv_folds(n_rows, groups, k, purge=purge, embargo=embargo)
    assert len(folds) == math.comb(groups, k)
    tested = np.zeros(groups, dtype=int)
    for f in folds:
        assert not set(f.train) & set(f.test)
        after, before = gaps(f.train, f.test)
        assert after > embargo  # no training row within the embargo after a test row
        assert before > purge  # nor within the purge before one
        # every row is in the test set, in training, or within purge/embargo of a test row
        removed = set(range(n_rows)) - set(f.train) - set(f.test)
        for r in removed:
            assert any(0 < r - t <= embargo or 0 < t - r <= purge for t in f.test)
        for g in f.groups:
            tested[g] += 1
    # each group is tested in C(N-1, k-1) splits: the number of backtest paths
    assert (tested == cpcv_paths(groups, k)).all()
    assert cpcv_paths(groups, k) == k * math.comb(groups, k) // groups


def test_too_few_rows_or_training_rows():
    with pytest.raises(BacktestError, match="cannot cut 5 rows into 6 blocks"):
        walk_forward_folds(5, 5)
    with pytest.raises(BacktestError, match="training rows"):
        walk_forward_folds(30, 2, purge=12)
    with pytest.raises(BacktestError, match="1 <= test groups < groups"):
        cpcv_folds(100, 4, 4)
