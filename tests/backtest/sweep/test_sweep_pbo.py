"""The probability of backtest overfitting by CSCV.

Reference: Bailey, Borwein, López de Prado & Zhu, "The probability of backtest overfitting",
Journal of Computational Finance 20(4), 2017 (SSRN 2326253), §2-3. The paper illustrates CSCV
with simulations, not with a small table one could copy, so the reference here is a direct,
loop-by-loop implementation of the paper's steps 1-6 (blocks, every half of them as the
training set, the training winner's relative rank ω̄ = rank/(N+1) out of sample, the logit
λ = ln(ω̄/(1-ω̄)), PBO = share of λ <= 0), written independently of the vectorised code.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from cryptofolio.backtest.sweep import probability_of_backtest_overfitting
from cryptofolio.errors import BacktestError


def reference_cscv(m: np.ndarray, s: int) -> tuple[float, list[float]]:
    blocks = np.array_split(np.arange(m.shape[0]), s)
    n = m.shape[1]
    logits = []
    for chosen in itertools.combinations(range(s), s // 2):
        train = np.concatenate([blocks[g] for g in chosen])
        test = np.concatenate([blocks[g] for g in range(s) if g not in chosen])
        is_sr = [m[train, c].mean() / m[train, c].std(ddof=1) for c in range(n)]
        oos_sr = [m[test, c].mean() / m[test, c].std(ddof=1) for c in range(n)]
        best = int(np.argmax(is_sr))
        # rank 1 = worst, n = best; ties share the average rank
        below = sum(1 for v in oos_sr if v < oos_sr[best])
        equal = sum(1 for v in oos_sr if v == oos_sr[best])
        rank = below + (equal + 1) / 2
        omega = rank / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
    return sum(1 for x in logits if x <= 0) / len(logits), logits


@pytest.mark.parametrize(("t", "n", "s"), [(40, 5, 4), (61, 7, 6), (120, 3, 8)])
def test_matches_the_papers_procedure(t, n, s):
    rng = np.random.default_rng(t * n)
    m = rng.normal(0.0005, 0.02, size=(t, n)) + rng.normal(0, 0.0005, size=n)
    pbo, logits = reference_cscv(m, s)
    got = probability_of_backtest_overfitting(m, blocks=s)
    assert got.n_splits == math.comb(s, s // 2)
    np.testing.assert_allclose(got.logits, logits, rtol=1e-12, atol=1e-12)
    assert got.pbo == pbo


def test_a_configuration_that_wins_everywhere_has_pbo_zero():
    rng = np.random.default_rng(3)
    m = rng.normal(0.0, 0.01, size=(400, 6))
    m[:, 2] += 0.01  # a Sharpe of about 1 per period in every block
    got = probability_of_backtest_overfitting(m, blocks=8)
    assert got.pbo == 0.0
    assert (got.winners == 2).all()


def test_a_winner_that_always_reverses_has_pbo_one():
    # A is good in the first half and bad in the second, B the opposite: with S = 2, whichever
    # half trains, its winner is the worst of the two out of sample
    rng = np.random.default_rng(4)
    noise = rng.normal(0.0, 0.01, size=(200, 2))
    m = noise.copy()
    m[:100, 0] += 0.01
    m[100:, 0] -= 0.01
    m[:100, 1] -= 0.01
    m[100:, 1] += 0.01
    assert probability_of_backtest_overfitting(m, blocks=2).pbo == 1.0


def test_pure_noise_gives_pbo_near_one_half():
    """With no skill, the training winner's out-of-sample rank is uniform: PBO ≈ 0.5. One
    noise matrix's PBO spreads widely (standard deviation about 0.2 across seeds, the splits
    share their rows), so the test averages 100 seeded matrices (20 configurations x 320 rows,
    8 blocks): the mean's standard deviation is about 0.02, the tolerance 0.1 (5 of them)."""
    rng = np.random.default_rng(2024)
    values = [
        probability_of_backtest_overfitting(rng.normal(0, 0.02, size=(320, 20)), 8).pbo
        for _ in range(100)
    ]
    assert np.mean(values) == pytest.approx(0.5, abs=0.1)


def test_bad_input():
    with pytest.raises(BacktestError, match="at least 2 configurations"):
        probability_of_backtest_overfitting(np.zeros((100, 1)))
    with pytest.raises(BacktestError, match="even"):
        probability_of_backtest_overfitting(np.ones((100, 3)), blocks=5)
    with pytest.raises(BacktestError, match="at least 32 rows"):
        probability_of_backtest_overfitting(np.ones((20, 3)), blocks=16)
    m = np.ones((100, 3))
    m[5, 1] = np.nan
    with pytest.raises(BacktestError, match="NaN"):
        probability_of_backtest_overfitting(m, blocks=4)
