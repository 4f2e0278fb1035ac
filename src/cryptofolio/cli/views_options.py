"""``optimize --expected-returns black-litterman --views FILE [--tau T]``: the options and the
posterior they ask for (market caps of the loaded data at the window's last date)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cryptofolio.cli.options import DataOptions
from cryptofolio.data import to_panels
from cryptofolio.errors import DataError
from cryptofolio.estimate import (
    BlackLitterman,
    BlackLittermanPosterior,
    ExpectedReturnsMethod,
    Window,
    black_litterman_posterior_at,
    read_views,
    risk_matrix,
)
from cryptofolio.optimize import EstimationInputs, PortfolioConfig

ViewsOpt = Annotated[
    Path | None,
    typer.Option(
        "--views",
        help="Black-Litterman views, TOML or CSV (absolute and relative, annual fractions, "
        "confidence 0-100 % optional: Idzorek when every view has one); with "
        "--expected-returns black-litterman. See examples/views.toml.",
    ),
]
TauOpt = Annotated[
    float,
    typer.Option("--tau", help="Black-Litterman τ: uncertainty of the prior mean (τΣ)."),
]


def views_posterior(
    data: DataOptions,
    window: Window,
    inputs: EstimationInputs,
    config: PortfolioConfig,
    views: Path | None,
    tau: float,
) -> BlackLittermanPosterior | None:
    """The posterior the options ask for (``None`` without black-litterman): the prior from
    the market caps at the window's last date, δ from the cap-weighted proxy of the window,
    the covariance of ``config.risk_model``.

    Raises
    ------
    DataError
        ``--views`` without ``--expected-returns black-litterman`` or the other way round.
    """
    wants = config.expected_returns is ExpectedReturnsMethod.BLACK_LITTERMAN
    if not wants:
        if views is not None:
            raise DataError("--views needs --expected-returns black-litterman")
        return None
    if views is None:
        raise DataError(
            "--expected-returns black-litterman needs --views FILE (TOML or CSV; see "
            "examples/views.toml)"
        )
    caps = to_panels(data.load(start=data.start)).market_cap
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    spec = BlackLitterman(tau=tau, risk_free_rate=config.risk_free_rate)
    return black_litterman_posterior_at(
        spec,
        cov,
        read_views(views),
        caps,
        window.end,
        returns=inputs.returns,
        periods_per_year=inputs.periods_per_year,
    )


def posterior_record(post: BlackLittermanPosterior) -> dict[str, Any]:
    """The ``black_litterman`` field of ``optimize --format json`` (annualised fractions)."""
    return {
        "risk_aversion": post.risk_aversion,
        "market_weights": {str(k): float(v) for k, v in post.market_weights.items()},
        "prior": {str(k): float(v) for k, v in post.prior.items()},
        "posterior": {str(k): float(v) for k, v in post.mean.items()},
    }
