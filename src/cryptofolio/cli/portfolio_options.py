"""Optimiser options shared by ``optimize``, ``frontier``, ``backtest``, ``rebalance`` and
``allocate`` (the names are a contract), and their translation into a
:class:`~cryptofolio.optimize.PortfolioConfig`.

Usage in a command::

    def optimize(..., returns: ReturnsOpt = ReturnsKind.SIMPLE, objective: ObjectiveOpt = ...):
        config = portfolio_config(returns=returns, objective=objective, ...)
"""

from __future__ import annotations

from typing import Annotated

import typer

from cryptofolio.errors import DataError
from cryptofolio.estimate import ExpectedReturnsMethod, ReturnsKind, RiskModel
from cryptofolio.optimize import Constraints, Objective, PortfolioConfig

ReturnsOpt = Annotated[
    ReturnsKind, typer.Option("--returns", help="Periodic returns: simple or log.")
]
PeriodsPerYearOpt = Annotated[
    float | None,
    typer.Option(
        "--periods-per-year",
        help="Annualisation factor; default inferred (365 daily, 8760 hourly). 252 for equities.",
    ),
]
ObjectiveOpt = Annotated[Objective, typer.Option("--objective", help="What to optimise.")]
RiskModelOpt = Annotated[
    RiskModel, typer.Option("--risk-model", help="Covariance estimator (annualised).")
]
ExpectedReturnsOpt = Annotated[
    ExpectedReturnsMethod,
    typer.Option("--expected-returns", help="Expected-return estimator (annualised)."),
]
RiskFreeOpt = Annotated[
    float, typer.Option("--risk-free-rate", help="Annual risk-free rate as a fraction (0.04 = 4%).")
]
RiskAversionOpt = Annotated[
    float, typer.Option("--risk-aversion", help="Risk aversion λ of max-utility: ½w'Σw − λμ'w.")
]
TargetReturnOpt = Annotated[
    float | None,
    typer.Option("--target-return", help="Annual target return (fraction) for efficient-return."),
]
TargetVolOpt = Annotated[
    float | None,
    typer.Option(
        "--target-volatility", help="Annual volatility cap (fraction) for efficient-risk."
    ),
]
MinWeightOpt = Annotated[
    float,
    typer.Option("--min-weight", help="Global lower bound per asset; negative allows shorts."),
]
MaxWeightOpt = Annotated[
    float, typer.Option("--max-weight", help="Global upper bound per asset (position limit).")
]
BoundsOpt = Annotated[
    list[str] | None,
    typer.Option("--bounds", help="Per-asset bounds SYM=LO:HI, repeatable (e.g. BTC=0.1:0.5)."),
]
GrossOpt = Annotated[
    float | None, typer.Option("--gross-exposure", help="Cap on sum |w| (with shorts).")
]
NetOpt = Annotated[
    float,
    typer.Option("--net-exposure", help="Budget: sum of weights (1 fully invested, 0 neutral)."),
]
L2Opt = Annotated[float, typer.Option("--l2", help="L2 regularisation γ·||w||² (small weights).")]
CvarAlphaOpt = Annotated[
    float, typer.Option("--cvar-alpha", help="CVaR confidence level, e.g. 0.95.")
]


def parse_bounds(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """Parse ``["BTC=0.1:0.5", "ETH=:0.3"]`` into ``{"BTC": (0.1, 0.5), "ETH": (-inf?, 0.3)}``.

    An empty side keeps the global bound for that side (encoded as NaN).
    """
    out: dict[str, tuple[float, float]] = {}
    for item in items or []:
        try:
            sym, rng = item.split("=", 1)
            lo_s, hi_s = rng.split(":", 1)
            lo = float(lo_s) if lo_s.strip() else float("nan")
            hi = float(hi_s) if hi_s.strip() else float("nan")
        except ValueError as exc:
            raise DataError(
                f"cannot parse --bounds {item!r}; expected SYM=LO:HI such as BTC=0.05:0.4"
            ) from exc
        out[sym.strip().upper()] = (lo, hi)
    return out


def portfolio_config(
    *,
    returns: ReturnsKind = ReturnsKind.SIMPLE,
    periods_per_year: float | None = None,
    objective: Objective = Objective.MIN_VARIANCE,
    risk_model: RiskModel = RiskModel.SAMPLE,
    expected_returns: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN,
    risk_free_rate: float = 0.0,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    target_volatility: float | None = None,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    bounds: list[str] | None = None,
    gross_exposure: float | None = None,
    net_exposure: float = 1.0,
    l2: float = 0.0,
    cvar_alpha: float = 0.95,
) -> PortfolioConfig:
    """Build the :class:`PortfolioConfig` that the shared CLI options describe."""
    constraints = Constraints(
        budget=net_exposure,
        min_weight=min_weight,
        max_weight=max_weight,
        bounds=parse_bounds(bounds),
        gross_exposure=gross_exposure,
        l2=l2,
    )
    return PortfolioConfig(
        objective=objective,
        risk_model=risk_model,
        expected_returns=expected_returns,
        returns_kind=returns,
        constraints=constraints,
        risk_free_rate=risk_free_rate,
        risk_aversion=risk_aversion,
        target_return=target_return,
        target_volatility=target_volatility,
        cvar_alpha=cvar_alpha,
        periods_per_year=periods_per_year,
    )
