"""Dense linear algebra of the active-set engine: Cholesky factors and reduced KKT solves."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla


class ActiveSetFailure(Exception):
    """The pivoting did not converge or met a singular reduced system."""


POTRF, POTRS = sla.get_lapack_funcs(("potrf", "potrs"), dtype=np.float64)


def cholesky(M: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a symmetric matrix (LAPACK potrf on a copy; the upper triangle
    is left as is). Raises ``LinAlgError`` when ``M`` is not positive definite."""
    c, info = POTRF(M, lower=1, clean=0, overwrite_a=0)
    if info != 0:
        raise np.linalg.LinAlgError("not positive definite")
    return c


def cho_solve(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, info = POTRS(c, b, lower=1)
    if info != 0:  # pragma: no cover - only on malformed arguments
        raise np.linalg.LinAlgError("potrs failed")
    return x


def kkt_solve(
    H: np.ndarray, G: np.ndarray, r1: np.ndarray, r2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Solve [[H, G'], [G, 0]] [z; nu] = [r1; r2] (range-space when H is positive definite)."""
    m = G.shape[0]
    nh = H.shape[0]
    if nh < m:
        # fewer free variables than equality rows: the rows cannot all be met (or only by luck)
        raise ActiveSetFailure("singular reduced KKT system (too few free variables)")
    try:
        L = cholesky(H)
        k = r1.shape[1]
        both = cho_solve(L, np.concatenate([r1, G.T], axis=1))  # one solve: H^-1 [r1, G']
        Hr, HG = both[:, :k], both[:, k:]
        S = G @ HG
        if m == 1:  # a 1 x 1 Schur complement: its Cholesky is a square root
            if not S[0, 0] > 0.0:
                raise ActiveSetFailure("singular reduced KKT system (dependent rows)")
            nu = (G @ Hr - r2) / S[0, 0]
        else:
            try:
                Ls = cholesky(S)
            except np.linalg.LinAlgError as exc:
                raise ActiveSetFailure("singular reduced KKT system (dependent rows)") from exc
            d = np.abs(Ls.diagonal())
            if d.min() <= 1e-7 * d.max():  # the free columns of G are (nearly) dependent
                raise ActiveSetFailure("singular reduced KKT system (dependent rows)")
            nu = cho_solve(Ls, G @ Hr - r2)
        z = Hr - HG @ nu
    except np.linalg.LinAlgError:
        z, nu = indefinite_solve(H, G, r1, r2)
    if not (np.isfinite(z).all() and np.isfinite(nu).all()):
        raise ActiveSetFailure("singular reduced KKT system")
    return z, nu


def indefinite_solve(
    H: np.ndarray, G: np.ndarray, r1: np.ndarray, r2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    nh, m = H.shape[0], G.shape[0]
    K = np.zeros((nh + m, nh + m))
    K[:nh, :nh] = H
    K[:nh, nh:] = G.T
    K[nh:, :nh] = G
    try:
        with warnings.catch_warnings():  # conditioning is judged by the KKT verification
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            sol = sla.solve(K, np.vstack([r1, r2]), assume_a="sym", check_finite=False)
    except (np.linalg.LinAlgError, sla.LinAlgError) as exc:
        raise ActiveSetFailure("singular reduced KKT system") from exc
    return sol[:nh], sol[nh:]
