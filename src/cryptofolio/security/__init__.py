"""The 51%-attack screen of proof-of-work coins, point in time.

data -> measures (security budget, its ratio to market cap, hash share) -> log-log trend of
budget on market cap -> screen (ranking, danger zone) -> universe filter for backtests and
optimisations; crypto51 tables replace the proxy where given; pictures in
:mod:`cryptofolio.report.security_plots`.

>>> from cryptofolio.security import screen_pow_risk
>>> screen_pow_risk("2020-07-27").table  # doctest: +SKIP

The security budget (miner revenue per hour) proxies the cost of renting the network's hash
for an hour (Budish 2018; crypto51.app). Proof-of-stake coins are out of scope: they are
reported as not screened, never silently passed.
"""

from cryptofolio.security.algorithms import AlgorithmRecord, AlgorithmTable
from cryptofolio.security.crypto51 import (
    CRYPTO51_COLUMNS,
    Crypto51Snapshot,
    crypto51_from_frame,
    parse_crypto51_html,
    read_crypto51,
    read_crypto51_csv,
)
from cryptofolio.security.data import PowData, bundled_provenance, load_pow_data, pow_data
from cryptofolio.security.filter import (
    PowExclusions,
    PowRiskFilter,
    exclusion_report,
    pow_risk_exclusions,
    screen_day,
    with_pow_risk_filter,
)
from cryptofolio.security.measures import (
    compare_hash_rates,
    daily_measures,
    hash_share_kernel,
    security_budget_per_hour,
)
from cryptofolio.security.regression import LogLogFit, fit_log_log, loglog_residuals
from cryptofolio.security.screen import ScreenResult, ScreenStatus, screen_pow_risk
from cryptofolio.security.thresholds import PowRiskThresholds

__all__ = [
    "CRYPTO51_COLUMNS",
    "AlgorithmRecord",
    "AlgorithmTable",
    "Crypto51Snapshot",
    "LogLogFit",
    "PowData",
    "PowExclusions",
    "PowRiskFilter",
    "PowRiskThresholds",
    "ScreenResult",
    "ScreenStatus",
    "bundled_provenance",
    "compare_hash_rates",
    "crypto51_from_frame",
    "daily_measures",
    "exclusion_report",
    "fit_log_log",
    "hash_share_kernel",
    "load_pow_data",
    "loglog_residuals",
    "parse_crypto51_html",
    "pow_data",
    "pow_risk_exclusions",
    "read_crypto51",
    "read_crypto51_csv",
    "screen_day",
    "screen_pow_risk",
    "security_budget_per_hour",
    "with_pow_risk_filter",
]
