"""General path: a conic program solved with Clarabel's own API, then verified.

Used for what the active-set path does not cover: gross-exposure caps that bind, turnover caps
and transaction costs (L1 terms), minimum semivariance, maximum Sortino, minimum CVaR and
efficient risk with L2. Every solution is checked against the KKT conditions of the conic
program (primal residual, dual residual, cone membership, duality gap) before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import clarabel
import numpy as np
import scipy.sparse as sp

from cryptofolio.errors import SolverError

TOL = 1e-10


@dataclass
class ConicBuilder:
    """Collects ``A x + s = b, s in K`` blocks (zero, nonnegative, second-order cones)."""

    nvar: int = 0
    _zero: list = field(default_factory=list)
    _nonneg: list = field(default_factory=list)
    _soc: list = field(default_factory=list)

    def var(self, count: int) -> slice:
        s = slice(self.nvar, self.nvar + count)
        self.nvar += count
        return s

    def eq(self, terms: list[tuple[slice, object]], rhs: np.ndarray) -> None:
        """sum_i M_i x[slice_i] == rhs."""
        self._zero.append((terms, np.atleast_1d(np.asarray(rhs, dtype=float))))

    def le(self, terms: list[tuple[slice, object]], rhs: np.ndarray) -> None:
        """sum_i M_i x[slice_i] <= rhs."""
        self._nonneg.append((terms, np.atleast_1d(np.asarray(rhs, dtype=float))))

    def soc(self, terms: list[tuple[slice, object]], rhs: np.ndarray) -> None:
        """rhs - sum_i M_i x[slice_i] in the second-order cone (first entry is the norm bound)."""
        self._soc.append((terms, np.atleast_1d(np.asarray(rhs, dtype=float))))

    def _stack(self, blocks: list) -> tuple[sp.csc_matrix, np.ndarray]:
        mats, rhs = [], []
        for terms, b in blocks:
            rows = b.shape[0]
            parts = []
            for sl, m in terms:
                m = sp.csr_matrix(m) if not sp.issparse(m) else m.tocsr()
                pad_l = sp.csr_matrix((rows, sl.start))
                pad_r = sp.csr_matrix((rows, self.nvar - sl.stop))
                parts.append(sp.hstack([pad_l, m, pad_r], format="csr"))
            M = parts[0]
            for p in parts[1:]:
                M = M + p
            mats.append(M)
            rhs.append(b)
        if not mats:
            return sp.csc_matrix((0, self.nvar)), np.zeros(0)
        return sp.vstack(mats, format="csc"), np.concatenate(rhs)

    def solve(self, P: sp.spmatrix, q: np.ndarray) -> tuple[np.ndarray, str]:
        Az, bz = self._stack(self._zero)
        An, bn = self._stack(self._nonneg)
        socs = [self._stack([blk]) for blk in self._soc]
        A = sp.vstack([Az, An, *[s[0] for s in socs]], format="csc")
        b = np.concatenate([bz, bn, *[s[1] for s in socs]])
        cones = []
        if Az.shape[0]:
            cones.append(clarabel.ZeroConeT(Az.shape[0]))
        if An.shape[0]:
            cones.append(clarabel.NonnegativeConeT(An.shape[0]))
        for s in socs:
            cones.append(clarabel.SecondOrderConeT(s[0].shape[0]))
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        settings.tol_gap_abs = TOL
        settings.tol_gap_rel = TOL
        settings.tol_feas = TOL
        settings.tol_ktratio = 1e-8
        settings.max_iter = 200
        Pu = sp.triu(sp.csc_matrix(P), format="csc")
        solver = clarabel.DefaultSolver(Pu, q, A, b, cones, settings)
        sol = solver.solve()
        status = str(sol.status)
        if "Solved" not in status or "Almost" in status:
            raise SolverError(f"Clarabel did not solve the problem: status {status}", status=status)
        x = np.asarray(sol.x)
        z = np.asarray(sol.z)
        _verify_conic(
            sp.csc_matrix(P),
            q,
            A,
            b,
            x,
            z,
            Az.shape[0],
            An.shape[0],
            [s[0].shape[0] for s in socs],
            status,
        )
        return x, status


def _verify_conic(P, q, A, b, x, z, nz, nn, socs, status, tol: float = 1e-7) -> None:
    s = b - A @ x
    scale_p = max(1.0, float(np.max(np.abs(b), initial=0.0)), float(np.max(np.abs(x), initial=0.0)))
    errs = {}
    errs["equality"] = float(np.max(np.abs(s[:nz]), initial=0.0)) / scale_p
    errs["inequality"] = float(np.max(-s[nz : nz + nn], initial=0.0)) / scale_p
    errs["dual_sign"] = float(np.max(-z[nz : nz + nn], initial=0.0))
    off = nz + nn
    for k in socs:
        sk, zk = s[off : off + k], z[off : off + k]
        errs["soc_primal"] = max(errs.get("soc_primal", 0.0), float(np.linalg.norm(sk[1:]) - sk[0]))
        errs["soc_dual"] = max(errs.get("soc_dual", 0.0), float(np.linalg.norm(zk[1:]) - zk[0]))
        off += k
    Px = P @ x
    scale_d = max(
        1.0,
        float(np.max(np.abs(Px), initial=0.0)),
        float(np.max(np.abs(q))),
        float(np.max(np.abs(A.T @ z), initial=0.0)),
    )
    errs["stationarity"] = float(np.max(np.abs(Px + q + A.T @ z))) / scale_d
    pobj = 0.5 * x @ Px + q @ x
    dobj = -0.5 * x @ Px - b @ z
    errs["gap"] = abs(pobj - dobj) / max(1.0, abs(pobj), abs(dobj))
    bad = {k: v for k, v in errs.items() if v > tol}
    if bad:
        detail = ", ".join(f"{k}={v:.1e}" for k, v in bad.items())
        raise SolverError(
            f"the solver's solution does not verify (tolerance {tol:g}): {detail}", status=status
        )
