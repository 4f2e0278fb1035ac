"""``--linkage``, ``--distance``, ``--leaf-order``, ``--cluster-risk``, ``--clusters`` and
``--risk-budget``: the settings of the closed-form allocators (hrp, herc, risk-parity), one
option group shared by ``optimize``, ``backtest``, ``rebalance`` and ``allocate``, put into the
configuration as :class:`~cryptofolio.optimize.AllocatorSettings`."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.errors import DataError, InfeasibleError
from cryptofolio.optimize import (
    AllocatorSettings,
    Distance,
    Linkage,
    PortfolioConfig,
    RiskMeasure,
    parse_risk_budgets,
)

LinkageOpt = Annotated[
    Linkage | None,
    typer.Option("--linkage", help="hrp/herc: agglomerative linkage (default single)."),
]
DistanceOpt = Annotated[
    Distance | None,
    typer.Option(
        "--distance",
        help="hrp/herc: distance from the Pearson or Spearman correlation or the distance "
        "correlation (default pearson).",
    ),
]
LeafOrderOpt = Annotated[
    bool, typer.Option("--leaf-order", help="hrp/herc: optimal leaf ordering of the tree.")
]
ClusterRiskOpt = Annotated[
    RiskMeasure | None,
    typer.Option(
        "--cluster-risk",
        help="hrp/herc: risk that splits the budget, variance or historical CVaR at "
        "--cvar-alpha (default variance).",
    ),
]
ClustersOpt = Annotated[
    int | None,
    typer.Option("--clusters", min=1, help="herc: clusters to cut the tree into (default: gap)."),
]
RiskBudgetOpt = Annotated[
    str | None,
    typer.Option(
        "--risk-budget",
        help="risk-parity: risk budgets summing to 1, BTC=0.5,ETH=0.3,SOL=0.2 or a .csv "
        "(asset,budget) or .toml file (default equal).",
    ),
]

#: Which objectives each flag applies to.
_TAKERS: dict[str, tuple[str, ...]] = {
    "--linkage": ("hrp", "herc"),
    "--distance": ("hrp", "herc"),
    "--leaf-order": ("hrp", "herc"),
    "--cluster-risk": ("hrp", "herc"),
    "--clusters": ("herc",),
    "--risk-budget": ("risk-parity",),
}


@dataclass(frozen=True)
class AllocatorOptions:
    """The allocator options as given (``None``/``False``: not given)."""

    linkage: Linkage | None = None
    distance: Distance | None = None
    leaf_order: bool = False
    cluster_risk: RiskMeasure | None = None
    clusters: int | None = None
    risk_budget: str | None = None

    def given(self) -> list[str]:
        values = {
            "--linkage": self.linkage,
            "--distance": self.distance,
            "--leaf-order": self.leaf_order or None,
            "--cluster-risk": self.cluster_risk,
            "--clusters": self.clusters,
            "--risk-budget": self.risk_budget,
        }
        return [flag for flag, value in values.items() if value is not None]

    def apply(self, config: PortfolioConfig, objectives: Collection[str]) -> PortfolioConfig:
        """``config`` with these settings, for a run of ``objectives`` (the objective, or a
        backtest's strategies).

        Raises
        ------
        DataError
            A flag none of ``objectives`` takes, bad risk budgets (names ``--risk-budget``).
        """
        names = {str(o) for o in objectives}
        for flag in self.given():
            if not names & set(_TAKERS[flag]):
                raise DataError(
                    f"{flag} applies to {' and '.join(_TAKERS[flag])}, not to "
                    f"{', '.join(sorted(names))}; drop it or choose one of those"
                )
        if not self.given():
            return config
        try:
            budgets = None if self.risk_budget is None else parse_risk_budgets(self.risk_budget)
            settings = AllocatorSettings(
                linkage=self.linkage,
                distance=self.distance,
                leaf_order=self.leaf_order or None,
                risk_measure=self.cluster_risk,
                n_clusters=self.clusters,
                risk_budgets=budgets,
            )
        except InfeasibleError as exc:
            raise DataError(f"--risk-budget: {exc}") from None
        return dataclasses.replace(config, allocator=settings)


with_allocator_options = with_option_group(
    "allocator",
    [
        keyword_option("linkage", LinkageOpt, None),
        keyword_option("distance", DistanceOpt, None),
        keyword_option("leaf_order", LeafOrderOpt, False),
        keyword_option("cluster_risk", ClusterRiskOpt, None),
        keyword_option("clusters", ClustersOpt, None),
        keyword_option("risk_budget", RiskBudgetOpt, None),
    ],
    lambda values: AllocatorOptions(**values),
    what="allocator",
)
