"""Hierarchical clustering of assets: codependence, distance, linkage and cluster counts.

Array kernels shared by the hierarchical allocators (:mod:`.hierarchical`) and the dendrogram
picture (:mod:`cryptofolio.report.dendrogram`). Inputs are plain NumPy arrays: a covariance
``(n, n)`` in any consistent units and, where a codependence needs them, periodic returns
``(T, n)``.

Distances (the peers' conventions, so that the trees agree):

* Pearson and Spearman: the angular distance ``d_ij = sqrt((1 - rho_ij) / 2)`` in [0, 1];
* distance correlation (Szekely 2005): ``d_ij = sqrt(1 - dCor_ij)`` in [0, 1].
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import squareform
from scipy.stats import rankdata

from cryptofolio.errors import EstimationError

#: Memory (float64 entries) one block of doubly centred distance matrices may take.
_DCOR_BLOCK_ENTRIES = 2**24


class Distance(StrEnum):
    """The clustering distance, named after the codependence it is derived from."""

    PEARSON = "pearson"  # correlation of the covariance passed
    SPEARMAN = "spearman"  # rank correlation of the returns
    DISTANCE_CORRELATION = "distance-correlation"  # Szekely's dCor of the returns


class Linkage(StrEnum):
    """Agglomerative linkage (:func:`scipy.cluster.hierarchy.linkage` methods)."""

    SINGLE = "single"
    AVERAGE = "average"
    COMPLETE = "complete"
    WARD = "ward"


def _names(n: int, assets: list[str] | None) -> list[str]:
    return list(assets) if assets is not None else [f"asset {i}" for i in range(n)]


def correlation_of_covariance(
    covariance: np.ndarray, assets: list[str] | None = None
) -> np.ndarray:
    """Correlation ``S_ij / (s_i s_j)`` of a covariance ``(n, n)``, clipped to [-1, 1].

    Raises
    ------
    EstimationError
        A non-finite entry, or an asset with zero or negative variance (its correlation, hence
        its place in the tree, is undefined): the message names the assets.
    """
    cov = np.asarray(covariance, dtype=float)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise EstimationError(f"the covariance must be a square matrix, got shape {cov.shape}")
    names = _names(cov.shape[0], assets)
    if not np.isfinite(cov).all():
        bad = sorted({names[i] for i in np.argwhere(~np.isfinite(cov))[:, 0]})
        raise EstimationError(f"the covariance has non-finite entries for {', '.join(bad)}")
    var = np.diag(cov)
    if (var <= 0).any():
        bad = [names[i] for i in np.flatnonzero(var <= 0)]
        raise EstimationError(
            f"singular covariance for the clustering: zero variance for {', '.join(bad)}, so "
            "its correlation with the other assets is undefined; drop the asset(s) or use a "
            "window in which they trade"
        )
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    corr = np.clip((corr + corr.T) / 2.0, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    return corr


def _checked_returns(returns: np.ndarray | None, n: int, what: Distance) -> np.ndarray:
    if returns is None:
        raise EstimationError(
            f"the {what.value} distance needs the periodic returns (T x n), not only the "
            "covariance; pass returns or use distance 'pearson'"
        )
    x = np.asarray(returns, dtype=float)
    if x.ndim != 2 or x.shape[1] != n or x.shape[0] < 3:
        raise EstimationError(
            f"returns must have shape (T >= 3, {n}) to match the covariance, got {x.shape}"
        )
    if not np.isfinite(x).all():
        raise EstimationError("the returns have NaN or infinite values; clean the window first")
    return x


def spearman_correlation(returns: np.ndarray, assets: list[str] | None = None) -> np.ndarray:
    """Spearman rank correlation ``(n, n)`` of returns ``(T, n)`` (average ranks for ties)."""
    ranks = rankdata(returns, axis=0)
    cov = np.cov(ranks, rowvar=False)
    return correlation_of_covariance(np.atleast_2d(cov), assets)


def _centred_distances(x: np.ndarray) -> np.ndarray:
    """Doubly centred |x_s - x_t| matrices, one per column: shape (n, T, T)."""
    d = np.abs(x.T[:, :, None] - x.T[:, None, :])
    d -= d.mean(axis=1, keepdims=True)
    d -= d.mean(axis=2, keepdims=True)
    return d


def _centred_gram(x: np.ndarray) -> np.ndarray:
    """``G_ij = sum(A_i * A_j)`` over the doubly centred distance matrices, by blocks of
    assets so that at most about ``_DCOR_BLOCK_ENTRIES`` entries are held at once."""
    t, n = x.shape
    block = max(1, _DCOR_BLOCK_ENTRIES // (2 * t * t))
    starts = range(0, n, block)
    gram = np.empty((n, n))
    for lo in starts:
        a = _centred_distances(x[:, lo : lo + block]).reshape(-1, t * t)
        for hi in starts:
            if hi < lo:
                continue
            b = a if hi == lo else _centred_distances(x[:, hi : hi + block]).reshape(-1, t * t)
            gram[lo : lo + block, hi : hi + block] = a @ b.T
            gram[hi : hi + block, lo : lo + block] = gram[lo : lo + block, hi : hi + block].T
    return gram


def distance_correlation(returns: np.ndarray, assets: list[str] | None = None) -> np.ndarray:
    """Szekely's distance correlation ``(n, n)`` of returns ``(T, n)`` (V-statistic), in [0, 1].

    ``dCor_ij = dCov_ij / sqrt(dVar_i dVar_j)`` with ``dCov_ij^2 = mean(A_i * A_j)`` over the
    doubly centred distance matrices ``A`` and ``dVar_i = dCov_ii``; the diagonal is 1.
    """
    x = np.asarray(returns, dtype=float)
    t, n = x.shape
    names = _names(n, assets)
    gram = _centred_gram(x) / (t * t)
    dvar = np.diag(gram).copy()
    if (dvar <= 0).any():
        bad = [names[i] for i in np.flatnonzero(dvar <= 0)]
        raise EstimationError(
            f"constant returns for {', '.join(bad)}: the distance correlation is undefined; "
            "drop the asset(s)"
        )
    # dCor^2 = dCov^2 / sqrt(dVar_i^2 dVar_j^2), with dCov^2 = gram, dVar^2 = diag(gram)
    dcor = np.sqrt(np.clip(gram / np.sqrt(np.outer(dvar, dvar)), 0.0, 1.0))
    np.fill_diagonal(dcor, 1.0)
    return dcor


def codependence_matrix(
    covariance: np.ndarray,
    returns: np.ndarray | None,
    distance: Distance | str = Distance.PEARSON,
    assets: list[str] | None = None,
) -> np.ndarray:
    """The codependence ``(n, n)`` of the assets: a correlation or a distance correlation.

    Pearson is read from ``covariance`` (so a shrunk risk model shapes the tree too); Spearman
    and distance correlation from ``returns`` ``(T, n)``, which they require.
    """
    kind = Distance(distance)
    corr = correlation_of_covariance(covariance, assets)
    if kind is Distance.PEARSON:
        return corr
    x = _checked_returns(returns, corr.shape[0], kind)
    if kind is Distance.SPEARMAN:
        return spearman_correlation(x, assets)
    return distance_correlation(x, assets)


def distance_matrix(
    codependence: np.ndarray, kind: Distance | str = Distance.PEARSON
) -> np.ndarray:
    """Distance ``(n, n)`` in [0, 1] from a codependence: angular ``sqrt((1 - rho) / 2)`` for
    correlations, ``sqrt(1 - dCor)`` for the distance correlation; zero diagonal."""
    scale = 1.0 if Distance(kind) is Distance.DISTANCE_CORRELATION else 0.5
    dist = np.sqrt(np.clip(scale * (1.0 - codependence), 0.0, 1.0))
    np.fill_diagonal(dist, 0.0)
    return dist


def linkage_matrix(
    distance: np.ndarray, linkage: Linkage | str = Linkage.SINGLE, leaf_order: bool = False
) -> np.ndarray:
    """SciPy linkage matrix ``(n - 1, 4)`` of a distance matrix ``(n, n)`` (its condensed
    form is clustered directly, as PyPortfolioOpt, Riskfolio-Lib and skfolio do); with
    ``leaf_order`` the leaves are put in optimal order (Bar-Joseph et al. 2001), which keeps
    the tree and changes only the order of each merge's two branches."""
    condensed = squareform(distance, checks=False)
    z = sch.linkage(condensed, method=Linkage(linkage).value)
    if leaf_order:
        z = sch.optimal_leaf_ordering(z, condensed)
    return z


def quasi_diagonal_order(linkage: np.ndarray) -> np.ndarray:
    """Positions of the assets in the order of the dendrogram's leaves (shape ``(n,)``)."""
    return sch.leaves_list(linkage)


def optimal_cluster_count(distance: np.ndarray, linkage: np.ndarray) -> int:
    """Number of clusters by the two-order difference of the gap statistic (Yue, Wang and Wei
    2009) as skfolio computes it: the within-cluster mean distances summed per level of the
    tree, for 1 to ``min(n, max(8, round(sqrt(n))))`` clusters; the level with the largest
    second difference."""
    n = distance.shape[0]
    if n <= 2:
        return n
    cut = sch.cut_tree(linkage)
    levels = min(n, max(8, round(np.sqrt(n))))
    dispersion = np.empty(levels)
    for k in range(levels):
        labels = cut[:, n - k - 1]
        total = 0.0
        for label in range(labels.max() + 1):
            idx = np.flatnonzero(labels == label)
            if len(idx) > 1:
                total += squareform(distance[np.ix_(idx, idx)], checks=False).mean()
        dispersion[k] = total
    gaps = dispersion[2:] + dispersion[:-2] - 2.0 * dispersion[1:-1]
    return int(np.argmax(gaps)) + 2


def cluster_labels(linkage: np.ndarray, n_clusters: int) -> np.ndarray:
    """Cluster label (0 to ``n_clusters - 1``) of every asset when the tree is cut into
    ``n_clusters`` clusters (shape ``(n,)``)."""
    return sch.fcluster(linkage, t=n_clusters, criterion="maxclust") - 1
