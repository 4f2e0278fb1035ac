"""Settings of the closed-form allocators (``hrp``, ``herc``, ``risk-parity``) that an optimiser
configuration carries for whichever of them it runs, and risk budgets read from text or a file.

:class:`AllocatorSettings` is ``PortfolioConfig(allocator=...)``: its fields reach the objective
spec when the objective has them (``linkage`` for hrp and herc, ``budgets`` for risk-parity, ...);
``None`` keeps the objective's own default. A backtest's strategies take them through the
configuration like every other setting.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.objectives.clustering import Distance, Linkage
from cryptofolio.optimize.objectives.hierarchical import RiskMeasure
from cryptofolio.optimize.objectives.risk_budgeting import checked_budgets


@dataclass(frozen=True)
class AllocatorSettings:
    """Parameters of the hierarchical allocators and of risk budgeting.

    Attributes
    ----------
    linkage, distance, leaf_order
        Clustering of hrp and herc: linkage method, the codependence the distance comes from,
        optimal leaf ordering (SciPy's).
    risk_measure
        Risk hrp and herc split the budget by: variance or historical CVaR (at the
        configuration's ``cvar_alpha``).
    n_clusters
        Clusters herc cuts the tree into (``None``: the gap statistic).
    risk_budgets
        risk-parity's budgets by asset (fractions summing to 1, every asset of the universe
        once); ``None``: equal risk contributions.
    """

    linkage: Linkage | None = None
    distance: Distance | None = None
    leaf_order: bool | None = None
    risk_measure: RiskMeasure | None = None
    n_clusters: int | None = None
    risk_budgets: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        for field, kind in (
            ("linkage", Linkage),
            ("distance", Distance),
            ("risk_measure", RiskMeasure),
        ):
            value = getattr(self, field)
            if value is None:
                continue
            try:
                object.__setattr__(self, field, kind(value))
            except ValueError:
                options = ", ".join(m.value for m in kind)
                raise InfeasibleError(f"unknown {field} {value!r}; use one of {options}") from None
        if self.n_clusters is not None and (
            int(self.n_clusters) != self.n_clusters or self.n_clusters < 1
        ):
            raise InfeasibleError(f"n_clusters must be an integer >= 1, got {self.n_clusters}")
        if self.risk_budgets is not None:
            budgets = {str(k): float(v) for k, v in self.risk_budgets.items()}
            checked_budgets(list(budgets.values()), len(budgets), list(budgets))
            object.__setattr__(self, "risk_budgets", budgets)

    def keywords(self) -> dict[str, Any]:
        """The settings as the objectives' parameter names (``None`` where not set)."""
        budgets = None if self.risk_budgets is None else dict(self.risk_budgets)
        return {
            "linkage": self.linkage,
            "distance": self.distance,
            "leaf_order": self.leaf_order,
            "risk_measure": self.risk_measure,
            "n_clusters": self.n_clusters,
            "budgets": budgets,
        }


def parse_risk_budgets(text: str) -> dict[str, float]:
    """Risk budgets from ``BTC=0.5,ETH=0.3,SOL=0.2`` or from a file: CSV with a header
    ``asset,budget`` or TOML ``BTC = 0.5`` lines (by the suffix). Symbols upper-cased.

    The sum is not checked here (the objective checks it against the universe).

    Raises
    ------
    InfeasibleError
        Text that is neither pairs nor a readable .csv/.toml file, a value that is no number,
        an asset given twice.
    """
    if "=" in text and Path(text).suffix.lower() not in (".csv", ".toml"):
        pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
        return _budgets(((k, v) for k, v in pairs), f"risk budgets {text!r}")
    path = Path(text)
    if not path.is_file():
        raise InfeasibleError(
            f"risk budgets {text!r}: give ASSET=BUDGET pairs (BTC=0.5,ETH=0.5) or a .csv/.toml "
            "file that exists"
        )
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise InfeasibleError(f"risk budgets file {path} is not valid TOML: {exc}") from None
        return _budgets(data.items(), f"risk budgets file {path}")
    if suffix == ".csv":
        reader = csv.DictReader(path.read_text().splitlines())
        if [h.strip() for h in reader.fieldnames or []] != ["asset", "budget"]:
            raise InfeasibleError(f"risk budgets file {path}: the header must be asset,budget")
        rows = ((row["asset"], row["budget"]) for row in reader)
        return _budgets(rows, f"risk budgets file {path}")
    raise InfeasibleError(f"risk budgets file {path}: use a .csv or .toml file")


def _budgets(pairs, where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in pairs:
        asset = str(key).strip().upper()
        try:
            budget = float(value)
        except (TypeError, ValueError):
            raise InfeasibleError(
                f"{where}: the budget of {asset} ({value!r}) is no number"
            ) from None
        if asset in out:
            raise InfeasibleError(f"{where}: {asset} is given twice")
        out[asset] = budget
    if not out:
        raise InfeasibleError(f"{where}: no budgets")
    return out
