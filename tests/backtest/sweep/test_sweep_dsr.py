"""The probabilistic and deflated Sharpe ratios against their formulas and the paper's example.

The reference values are computed here with :class:`statistics.NormalDist` (the standard
library's normal distribution, not SciPy's, which the code under test uses), from the formulas
of Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 2014:
eq. for SR0 (expected maximum Sharpe of N trials, with the Euler-Mascheroni constant) and
DSR = PSR(SR0), PSR from Bailey & López de Prado, "The Sharpe ratio efficient frontier",
Journal of Risk 15(2), 2012.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from cryptofolio.backtest.sweep import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
)
from cryptofolio.backtest.sweep.deflated_sharpe import return_moments

PHI = NormalDist()


def reference_sr0(n: int, variance: float) -> float:
    gamma = 0.5772156649015329
    return math.sqrt(variance) * (
        (1 - gamma) * PHI.inv_cdf(1 - 1 / n) + gamma * PHI.inv_cdf(1 - 1 / (n * math.e))
    )


def reference_psr(sr: float, sr_star: float, t: int, skew: float, kurt: float) -> float:
    z = (sr - sr_star) * math.sqrt(t - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return PHI.cdf(z)


def test_euler_mascheroni_constant():
    # the limit of H_n - ln n, by its slowly converging definition plus the 1/(2n) correction
    n = 10**6
    harmonic = math.fsum(1 / k for k in range(1, n + 1))
    assert EULER_GAMMA == pytest.approx(harmonic - math.log(n) - 1 / (2 * n), abs=1e-12)


def test_paper_numerical_example():
    """The numerical example of Bailey & López de Prado (2014): N = 100 trials, the variance
    of their annualised Sharpe ratios 1/2, T = 1250 daily returns (250 a year), the best
    annualised Sharpe 2.5, skewness -3, kurtosis 10. The paper reports SR0 ≈ 0.1132 (per
    period) and DSR ≈ 0.9004; the test first recomputes both from the formulas, then checks
    the code against that computation and the printed figures."""
    n, t, periods = 100, 1250, 250
    variance = 0.5 / periods  # annualised variance to per-period
    sr = 2.5 / math.sqrt(periods)
    sr0 = reference_sr0(n, variance)
    dsr = reference_psr(sr, sr0, t, -3.0, 10.0)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)  # as printed in the paper
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    assert expected_max_sharpe(n, variance) == pytest.approx(sr0, rel=1e-12)
    assert deflated_sharpe_ratio(sr, t, n, variance, -3.0, 10.0) == pytest.approx(dsr, rel=1e-10)


@pytest.mark.parametrize(
    ("sr", "sr_star", "t", "skew", "kurt"),
    [(0.1, 0.0, 500, 0.0, 3.0), (0.05, 0.02, 2000, -1.5, 8.0), (-0.03, 0.0, 100, 0.5, 4.0)],
)
def test_psr_matches_the_formula(sr, sr_star, t, skew, kurt):
    assert probabilistic_sharpe_ratio(sr, sr_star, t, skew, kurt) == pytest.approx(
        reference_psr(sr, sr_star, t, skew, kurt), rel=1e-10
    )


def test_negative_skew_and_fat_tails_lower_the_psr():
    normal = probabilistic_sharpe_ratio(0.1, 0.0, 500, 0.0, 3.0)
    assert probabilistic_sharpe_ratio(0.1, 0.0, 500, -2.0, 9.0) < normal


def test_expected_max_sharpe_against_monte_carlo():
    """SR0 is an approximation of E[max of N normal estimates]: within 2 % of a seeded
    simulation of 20,000 sweeps of N = 200 skill-less trials (the approximation's own error
    at N = 200 is below 1 %)."""
    rng = np.random.default_rng(0)
    n, sd = 200, 0.05
    simulated = rng.normal(0.0, sd, size=(20_000, n)).max(axis=1).mean()
    assert expected_max_sharpe(n, sd**2) == pytest.approx(simulated, rel=0.02)


def test_one_trial_is_not_deflated():
    assert expected_max_sharpe(1, 0.3) == 0.0
    assert deflated_sharpe_ratio(0.1, 400, 1, 0.0) == pytest.approx(
        reference_psr(0.1, 0.0, 400, 0.0, 3.0)
    )


def test_return_moments_are_plain_kurtosis():
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.02, size=(200_000, 1))
    sr, skew, kurt = return_moments(r)
    assert sr[0] == pytest.approx(r.mean() / r.std(ddof=1))
    assert skew[0] == pytest.approx(0.0, abs=0.03)
    assert kurt[0] == pytest.approx(3.0, abs=0.05)
