"""The probabilistic and the deflated Sharpe ratio.

Sharpe ratios here are **per period** (not annualised): ``SR = mean(r) / std(r)`` of ``T``
periodic returns. Kurtosis ``γ4`` is the plain (not excess) fourth standardised moment: 3 for
normal returns.

* Probabilistic Sharpe ratio (Bailey & López de Prado, "The Sharpe ratio efficient frontier",
  *Journal of Risk* 15(2), 2012)::

      PSR(SR*) = Φ( (SR - SR*) · sqrt(T - 1) / sqrt(1 - γ3·SR + (γ4 - 1)/4 · SR²) )

  the probability that the true Sharpe ratio exceeds ``SR*`` given the estimate's skewness
  ``γ3`` and kurtosis ``γ4``.
* Expected maximum Sharpe ratio of ``N`` independent trials of true Sharpe 0 whose estimates
  have variance ``V`` (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality", *Journal of Portfolio Management*
  40(5), 2014, eq. 2; γ the Euler-Mascheroni constant)::

      SR0 = sqrt(V) · ((1 - γ) · Φ⁻¹(1 - 1/N) + γ · Φ⁻¹(1 - 1/(N·e)))

* Deflated Sharpe ratio (same paper): ``DSR = PSR(SR0)``, the probability that the selected
  configuration's true Sharpe ratio is above what the best of ``N`` lucky trials would show.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import kurtosis, norm, skew

from cryptofolio.errors import BacktestError

EULER_GAMMA = 0.5772156649015329  # Euler-Mascheroni constant


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """``SR0``: the expected maximum of ``n_trials`` per-period Sharpe ratios of skill-less
    trials whose estimates have variance ``sharpe_variance`` (per-period units). 0 for one
    trial (nothing was selected)."""
    if n_trials < 1:
        raise BacktestError(f"the number of trials must be at least 1, got {n_trials}")
    if not math.isfinite(sharpe_variance) or sharpe_variance < 0:
        raise BacktestError(f"the Sharpe variance must be finite and >= 0, got {sharpe_variance}")
    if n_trials == 1:
        return 0.0
    z1 = norm.ppf(1.0 - 1.0 / n_trials)
    z2 = norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_obs: int, skewness: float = 0.0, kurt: float = 3.0
) -> float:
    """``PSR(benchmark)`` of a per-period Sharpe estimate from ``n_obs`` returns with the
    given skewness and (plain) kurtosis; NaN when the estimate is not finite or the variance
    term is not positive."""
    if n_obs < 2:
        raise BacktestError(f"the PSR needs at least 2 returns, got {n_obs}")
    if not (math.isfinite(sharpe) and math.isfinite(skewness) and math.isfinite(kurt)):
        return float("nan")
    denom = 1.0 - skewness * sharpe + (kurt - 1.0) / 4.0 * sharpe**2
    if denom <= 0:
        return float("nan")
    return float(norm.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom)))


def deflated_sharpe_ratio(
    sharpe: float,
    n_obs: int,
    n_trials: int,
    sharpe_variance: float,
    skewness: float = 0.0,
    kurt: float = 3.0,
) -> float:
    """``DSR = PSR(SR0)`` with ``SR0 = expected_max_sharpe(n_trials, sharpe_variance)``."""
    sr0 = expected_max_sharpe(n_trials, sharpe_variance)
    return probabilistic_sharpe_ratio(sharpe, sr0, n_obs, skewness, kurt)


def return_moments(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-period Sharpe (ddof=1), skewness and plain kurtosis of each column of a ``T x N``
    array of periodic returns (biased moment estimates, as in the papers)."""
    r = np.asarray(returns, dtype=float)
    std = r.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(std > 0, r.mean(axis=0) / std, np.nan)
    return sharpe, skew(r, axis=0), kurtosis(r, axis=0, fisher=False)
