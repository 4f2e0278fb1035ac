"""Hierarchical allocators: HRP (López de Prado 2016) and HERC (Raffinot 2018).

Both cluster the assets (:mod:`.clustering`), then split the budget top-down, each split
giving the two sides weights inversely proportional to their risk. Long-only, fully
invested, no solver: the weights are a closed form of the tree and the risk measure.

* HRP orders the assets by the dendrogram's leaves and bisects that list into halves
  (the peers' recursive bisection); each half's risk is that of its inverse-risk portfolio.
* HERC cuts the tree into ``k`` clusters, splits along the tree's own branches down to those
  clusters (a side's risk is the sum of its clusters' risks) and shares each cluster's weight
  inverse-risk among its assets.

Risk measures: variance (from the covariance, any units) or historical CVaR at confidence
``cvar_beta`` of the periodic returns ``(T, n)`` (the mean of the worst ``1 - beta`` share of
the periods, fractional at the boundary, as a positive loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import numpy as np
import scipy.cluster.hierarchy as sch

from cryptofolio.blas import single_blas_thread
from cryptofolio.errors import EstimationError, OptimizationError
from cryptofolio.optimize.objectives.base import (
    ObjectiveSpec,
    Solution,
    check_allocation_problem,
    check_upper_bounds,
)
from cryptofolio.optimize.objectives.clustering import (
    Distance,
    Linkage,
    cluster_labels,
    codependence_matrix,
    distance_matrix,
    linkage_matrix,
    optimal_cluster_count,
    quasi_diagonal_order,
)
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.objectives.risk_budgeting import risk_contributions
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts


class RiskMeasure(StrEnum):
    """The risk the hierarchical allocators equalise between clusters."""

    VARIANCE = "variance"
    CVAR = "cvar"


def historical_cvar(returns: np.ndarray, beta: float = 0.95) -> np.ndarray | float:
    """Historical CVaR at confidence ``beta``: the mean loss over the worst ``(1 - beta) T``
    periods (the boundary period counted fractionally), a positive number for a loss.

    ``returns`` is ``(T,)`` (gives a float) or ``(T, n)`` (gives one value per column);
    periodic fractions in, periodic fractions out.
    """
    x = np.sort(np.asarray(returns, dtype=float), axis=0)
    t = x.shape[0]
    mass = (1.0 - beta) * t
    k = min(t, int(np.ceil(mass - 1e-12)))  # periods touched by the tail
    tail = x[:k]
    value = -(tail[: k - 1].sum(axis=0) + (mass - (k - 1)) * tail[k - 1]) / mass
    return float(value) if np.ndim(value) == 0 else value


@dataclass(frozen=True)
class _ClusterRisk:
    """Inverse-risk weights and risk of a group of assets, for one risk measure."""

    covariance: np.ndarray
    returns: np.ndarray | None
    measure: RiskMeasure
    beta: float

    def asset_risks(self) -> np.ndarray:
        if self.measure is RiskMeasure.VARIANCE:
            risks = np.diag(self.covariance).copy()
        else:
            risks = np.asarray(historical_cvar(self.returns, self.beta))
        if not (np.isfinite(risks).all() and (risks > 0).all()):
            bad = ", ".join(str(i) for i in np.flatnonzero(~(risks > 0)))
            raise OptimizationError(
                f"the {self.measure.value} of asset(s) at position(s) {bad} is not positive: "
                "inverse-risk weights are undefined; drop them or use another risk measure"
            )
        return risks

    def risk(self, idx: np.ndarray | slice, w: np.ndarray) -> float:
        """Risk of weights ``w`` on the assets ``idx`` (positions, or a slice: a view)."""
        if self.measure is RiskMeasure.VARIANCE:
            cov = self.covariance
            block = cov[idx, idx] if isinstance(idx, slice) else cov[np.ix_(idx, idx)]
            return float(w @ block @ w)
        return float(historical_cvar(self.returns[:, idx] @ w, self.beta))


def _split(left: float, right: float) -> float:
    """Share of the left side: ``1 - left / (left + right)``."""
    if not (np.isfinite(left) and np.isfinite(right)) or left + right <= 0:
        raise OptimizationError(
            f"cannot split a cluster with risks {left:g} and {right:g} (not positive)"
        )
    return 1.0 - left / (left + right)


def hrp_weights(
    covariance: np.ndarray,
    order: np.ndarray,
    *,
    returns: np.ndarray | None = None,
    risk_measure: RiskMeasure = RiskMeasure.VARIANCE,
    cvar_beta: float = 0.95,
) -> np.ndarray:
    """HRP recursive bisection of the assets in ``order`` (positions, ``(n,)``).

    Returns weights ``(n,)`` in the original asset order, non-negative, summing to 1.
    """
    order = np.asarray(order)
    cov = np.asarray(covariance, dtype=float)[np.ix_(order, order)]
    rets = None if returns is None else np.asarray(returns, dtype=float)[:, order]
    risk = _ClusterRisk(cov, rets, RiskMeasure(risk_measure), cvar_beta)
    inv = 1.0 / risk.asset_risks()
    w = np.ones(len(order))
    stack = [(0, len(order))]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        mid = lo + (hi - lo) // 2
        sides = []
        for a, b in ((lo, mid), (mid, hi)):
            wi = inv[a:b] / inv[a:b].sum()
            sides.append(risk.risk(slice(a, b), wi))
        alpha = _split(*sides)
        w[lo:mid] *= alpha
        w[mid:hi] *= 1.0 - alpha
        stack += [(lo, mid), (mid, hi)]
    out = np.empty_like(w)
    out[order] = w
    return out


def herc_weights(
    covariance: np.ndarray,
    linkage: np.ndarray,
    labels: np.ndarray,
    *,
    returns: np.ndarray | None = None,
    risk_measure: RiskMeasure = RiskMeasure.VARIANCE,
    cvar_beta: float = 0.95,
) -> np.ndarray:
    """HERC weights ``(n,)`` from a linkage matrix and the cluster ``labels`` ``(n,)`` of a
    cut of that tree: inter-cluster weights split along the tree, intra-cluster inverse-risk.
    """
    cov = np.asarray(covariance, dtype=float)
    rets = None if returns is None else np.asarray(returns, dtype=float)
    risk = _ClusterRisk(cov, rets, RiskMeasure(risk_measure), cvar_beta)
    inv = 1.0 / risk.asset_risks()
    n_clusters = int(labels.max()) + 1
    w = np.empty(len(labels))
    cluster_risk = np.empty(n_clusters)
    for c in range(n_clusters):
        idx = np.flatnonzero(labels == c)
        w[idx] = inv[idx] / inv[idx].sum()
        cluster_risk[c] = risk.risk(idx, w[idx])
    cluster_weight = np.ones(n_clusters)
    stack = [sch.to_tree(linkage)]
    while stack:
        node = stack.pop()
        if len(np.unique(labels[node.pre_order()])) == 1:
            continue  # a cluster: its weight is set
        left = np.unique(labels[node.get_left().pre_order()])
        right = np.unique(labels[node.get_right().pre_order()])
        alpha = _split(cluster_risk[left].sum(), cluster_risk[right].sum())
        cluster_weight[left] *= alpha
        cluster_weight[right] *= 1.0 - alpha
        stack += [node.get_left(), node.get_right()]
    return w * cluster_weight[labels]


@dataclass(frozen=True)
class ClusterTree:
    """The clustering a hierarchical allocator used: ``linkage`` ``(n - 1, 4)`` (SciPy),
    ``distance`` ``(n, n)``, ``order`` (leaf positions, ``(n,)``), ``assets`` names."""

    linkage: np.ndarray
    distance: np.ndarray
    order: np.ndarray
    assets: tuple[str, ...]


@dataclass(frozen=True)
class HierarchicalSpec(ObjectiveSpec):
    """What HRP and HERC share: the clustering settings, the risk measure, :meth:`tree`."""

    linkage: Linkage = Linkage.SINGLE
    distance: Distance = Distance.PEARSON
    leaf_order: bool = False
    risk_measure: RiskMeasure = RiskMeasure.VARIANCE
    cvar_beta: float = 0.95

    uses_expected_returns: ClassVar[bool] = False

    def __post_init__(self) -> None:
        for field, kind in (
            ("linkage", Linkage),
            ("distance", Distance),
            ("risk_measure", RiskMeasure),
        ):
            value = getattr(self, field)
            try:
                object.__setattr__(self, field, kind(value))
            except ValueError:
                options = ", ".join(m.value for m in kind)
                raise OptimizationError(
                    f"unknown {field} {value!r}; use one of {options}"
                ) from None
        if not 0.0 < self.cvar_beta < 1.0:
            raise OptimizationError(f"cvar_beta must be in (0, 1), got {self.cvar_beta}")

    @property
    def uses_scenarios(self) -> bool:
        """Whether :meth:`weights` needs the periodic returns."""
        return self.risk_measure is RiskMeasure.CVAR or self.distance is not Distance.PEARSON

    def _returns(self, covariance: np.ndarray, returns: np.ndarray | None) -> np.ndarray | None:
        if self.risk_measure is RiskMeasure.CVAR:
            if returns is None:
                raise EstimationError(
                    "the cvar risk measure needs the periodic returns (T x n); pass returns "
                    "or use risk_measure 'variance'"
                )
            if np.shape(returns)[1:] != (np.shape(covariance)[0],):
                raise EstimationError(
                    f"returns must have one column per asset ({np.shape(covariance)[0]}), "
                    f"got shape {np.shape(returns)}"
                )
        return returns

    @single_blas_thread
    def tree(
        self,
        covariance: np.ndarray,
        returns: np.ndarray | None = None,
        assets: list[str] | None = None,
    ) -> ClusterTree:
        """The clustering of the assets (for :meth:`weights` and the dendrogram)."""
        codep = codependence_matrix(covariance, returns, self.distance, assets)
        dist = distance_matrix(codep, self.distance)
        z = linkage_matrix(dist, self.linkage, self.leaf_order)
        names = tuple(assets) if assets is not None else tuple(map(str, range(len(dist))))
        return ClusterTree(z, dist, quasi_diagonal_order(z), names)

    def weights(
        self,
        covariance: np.ndarray,
        returns: np.ndarray | None = None,
        assets: list[str] | None = None,
    ) -> np.ndarray:
        raise NotImplementedError

    @property
    def measure_units(self) -> str:  # type: ignore[override]
        """The allocators optimise no objective: the value is the portfolio's risk under
        their ``risk_measure``."""
        if self.risk_measure is RiskMeasure.CVAR:
            return "portfolio CVaR at cvar_beta of periodic losses (fraction; no objective: the risk allocated)"
        return "portfolio variance w'Σw (annualised, fraction²; no objective: the risk allocated)"

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        if self.risk_measure is RiskMeasure.CVAR:
            return float(historical_cvar(pb.scenarios @ w, self.cvar_beta))
        return float(w @ pb.S @ w)

    def solve(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        """The allocation of ``pb`` (long-only, fully invested; the scenarios when it needs
        them), with the risk contributions of the weights."""
        check_allocation_problem(pb, self.name)
        w = self.weights(pb.S, pb.scenarios, pb.assets)
        check_upper_bounds(pb, self.name, w)
        return Solution(w, solver=self.name, risk_contributions=risk_contributions(w, pb.S))


@register_objective
@dataclass(frozen=True)
class HierarchicalRiskParity(HierarchicalSpec):
    """Hierarchical Risk Parity (López de Prado 2016) with its parameters.

    ``weights(covariance, returns)``: covariance ``(n, n)`` (any consistent units, e.g.
    annualised), periodic returns ``(T, n)`` (needed for the Spearman and distance-correlation
    distances and the CVaR risk measure) -> long-only weights ``(n,)`` summing to 1.
    """

    name: ClassVar[str] = "hrp"

    @single_blas_thread
    def weights(
        self,
        covariance: np.ndarray,
        returns: np.ndarray | None = None,
        assets: list[str] | None = None,
    ) -> np.ndarray:
        returns = self._returns(covariance, returns)
        tree = self.tree(covariance, returns, assets)
        return hrp_weights(
            covariance,
            tree.order,
            returns=returns,
            risk_measure=self.risk_measure,
            cvar_beta=self.cvar_beta,
        )


@register_objective
@dataclass(frozen=True)
class HierarchicalEqualRiskContribution(HierarchicalSpec):
    """Hierarchical Equal Risk Contribution (Raffinot 2018) with its parameters.

    ``n_clusters``: how many clusters the tree is cut into; ``None`` picks it by the
    two-order difference gap statistic (:func:`.clustering.optimal_cluster_count`).
    ``weights`` as :class:`HierarchicalRiskParity`.
    """

    n_clusters: int | None = None

    name: ClassVar[str] = "herc"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_clusters is not None and (
            int(self.n_clusters) != self.n_clusters or self.n_clusters < 1
        ):
            raise OptimizationError(f"n_clusters must be an integer >= 1, got {self.n_clusters}")

    def cluster_count(self, tree: ClusterTree) -> int:
        """The number of clusters used for ``tree`` (at most the number of assets)."""
        if self.n_clusters is None:
            return optimal_cluster_count(tree.distance, tree.linkage)
        return min(int(self.n_clusters), len(tree.order))

    @single_blas_thread
    def weights(
        self,
        covariance: np.ndarray,
        returns: np.ndarray | None = None,
        assets: list[str] | None = None,
    ) -> np.ndarray:
        returns = self._returns(covariance, returns)
        tree = self.tree(covariance, returns, assets)
        labels = cluster_labels(tree.linkage, self.cluster_count(tree))
        return herc_weights(
            covariance,
            tree.linkage,
            labels,
            returns=returns,
            risk_measure=self.risk_measure,
            cvar_beta=self.cvar_beta,
        )
