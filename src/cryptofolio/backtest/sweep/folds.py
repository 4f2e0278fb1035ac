"""Splits of the time axis into training (in-sample) and test (out-of-sample) rows, purged
and embargoed (López de Prado, *Advances in Financial Machine Learning*, 2018, ch. 7 and 12).

Rows are positions ``0 .. n_rows - 1`` of the common return series of the configurations.
Each split's training rows exclude every row that lies within ``purge`` rows *before* a test
block (their holding periods and estimation windows reach into the test block) or within
``embargo`` rows *after* one (serial dependence carries test information forward; AFML
§7.4.2). With ``purge = embargo = h``: no training row is within ``h`` rows of a test row.

* :func:`walk_forward_folds`: the rows are cut into ``folds + 1`` contiguous blocks; split
  ``k`` tests on block ``k`` and trains on the blocks before it (anchored walk-forward).
* :func:`cpcv_folds`: combinatorial purged cross-validation (AFML §12.4): ``N`` groups, every
  choice of ``k`` of them is a test set (``C(N, k)`` splits), the rest trains; each group is
  tested in ``C(N-1, k-1)`` splits, which assemble into ``φ = k/N · C(N, k)`` backtest paths.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from cryptofolio.errors import BacktestError


@dataclass(frozen=True)
class Fold:
    """One split: ``train`` and ``test`` are sorted row positions (int arrays, disjoint);
    ``groups`` are the test group numbers (walk-forward: the one block)."""

    train: np.ndarray
    test: np.ndarray
    groups: tuple[int, ...]


def group_bounds(n_rows: int, n_groups: int) -> list[tuple[int, int]]:
    """``n_groups`` contiguous ``[start, stop)`` blocks of ``n_rows`` rows, sizes differing by
    at most one (the first ones larger), as :func:`numpy.array_split` cuts them."""
    if n_groups > n_rows:
        raise BacktestError(
            f"cannot cut {n_rows} rows into {n_groups} blocks; use fewer folds or more data"
        )
    sizes = [n_rows // n_groups + (1 if g < n_rows % n_groups else 0) for g in range(n_groups)]
    edges = np.concatenate([[0], np.cumsum(sizes)])
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def purged_train(
    n_rows: int, test_blocks: list[tuple[int, int]], purge: int, embargo: int
) -> np.ndarray:
    """Rows not in any test block nor within ``purge`` rows before / ``embargo`` rows after
    one (sorted positions)."""
    keep = np.ones(n_rows, dtype=bool)
    for start, stop in test_blocks:
        keep[max(0, start - purge) : min(n_rows, stop + embargo)] = False
    return np.flatnonzero(keep)


def walk_forward_folds(n_rows: int, folds: int, *, purge: int = 0) -> list[Fold]:
    """Anchored walk-forward splits: block ``k`` (of ``folds + 1``) tests, the blocks before it
    train, less the ``purge`` rows just before the test block.

    Raises
    ------
    BacktestError
        Too few rows for the blocks, or a split left with fewer than 2 training rows.
    """
    bounds = group_bounds(n_rows, folds + 1)
    out = []
    for k in range(1, folds + 1):
        start, stop = bounds[k]
        train = np.arange(0, max(0, start - purge))
        _check_train(train, k, purge)
        out.append(Fold(train=train, test=np.arange(start, stop), groups=(k,)))
    return out


def cpcv_folds(
    n_rows: int, groups: int, test_groups: int, *, purge: int = 0, embargo: int = 0
) -> list[Fold]:
    """Combinatorial purged cross-validation splits (AFML §12.4), in lexicographic order of
    the test groups.

    Raises
    ------
    BacktestError
        ``test_groups`` not below ``groups``, too few rows, or a split left with fewer than 2
        training rows.
    """
    if not 1 <= test_groups < groups:
        raise BacktestError(f"cpcv needs 1 <= test groups < groups, got {test_groups} of {groups}")
    bounds = group_bounds(n_rows, groups)
    out = []
    for chosen in itertools.combinations(range(groups), test_groups):
        blocks = [bounds[g] for g in chosen]
        test = np.concatenate([np.arange(a, b) for a, b in blocks])
        train = purged_train(n_rows, blocks, purge, embargo)
        _check_train(train, chosen, max(purge, embargo))
        out.append(Fold(train=train, test=test, groups=tuple(chosen)))
    return out


def cpcv_paths(groups: int, test_groups: int) -> int:
    """Number of backtest paths ``φ = k/N · C(N, k) = C(N-1, k-1)`` of a CPCV."""
    return math.comb(groups - 1, test_groups - 1)


def _check_train(train: np.ndarray, split: object, gap: int) -> None:
    if len(train) < 2:
        raise BacktestError(
            f"split {split} has {len(train)} training rows after purging/embargo of {gap} "
            "rows; use fewer folds, a smaller --embargo or more data"
        )
