"""The general path's program: weights, bounds, gross cap and trades as Clarabel blocks.

An objective adds its own terms (:meth:`ConicProgram.quad`, :meth:`ConicProgram.linear` and
rows on :attr:`ConicProgram.cb`) to the constraints every objective shares, then the program is
solved and verified by :class:`~cryptofolio.optimize.engines.conic.ConicBuilder`. Ratio
objectives (max Sharpe, max Sortino) are homogenised (Cornuejols-Tutuncu): the variables are
``y = k w`` with a scale ``k >= 0`` and the weights are ``y / k``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from cryptofolio.errors import SolverError
from cryptofolio.optimize.constraints import Box
from cryptofolio.optimize.engines.conic import ConicBuilder
from cryptofolio.optimize.problem import Problem


class ConicProgram:
    """Variables ``w`` (n weights; scaled by ``k`` when homogeneous), the trades ``d >= |w - prev|``
    when the problem has a current portfolio with costs or a cap, and the shared constraints.

    Attributes
    ----------
    cb
        The builder (add rows with ``cb.eq``, ``cb.le``, ``cb.soc``; variables with ``cb.var``).
    w, k, d
        Slices of the weights, the homogenising scale (``None`` unless homogeneous) and the
        trades (``None`` without a current portfolio to trade against).
    cost
        Per-asset proportional trading costs when they apply (else ``None``).
    """

    def __init__(self, pb: Problem, *, name: str, homogeneous: bool) -> None:
        self.pb = pb
        self.name = name
        self.cb = cb = ConicBuilder()
        self.w = cb.var(pb.n)
        self.k = cb.var(1) if homogeneous else None
        self._blocks: dict[tuple[int, int], object] = {}
        self._linear: list[tuple[slice, np.ndarray]] = []
        _add_box(cb, self.w, pb.box, self.k)
        _add_gross(cb, self.w, pb.box, self.k)
        trades = pb.trades
        active = trades is not None and trades.active
        prev = None
        if active:
            prev = trades.prev if trades.prev is not None else np.zeros(pb.n)
        self.d = _add_trades(cb, self.w, prev, pb.max_turnover, self.k)
        self.cost = trades.cost if (active and self.d is not None and trades.costly) else None

    def quad(self, sl: slice, M) -> None:
        """Set the quadratic block of the variables ``sl`` (the objective is 1/2 x'Px + q'x)."""
        self._blocks[(sl.start, sl.stop)] = M

    def linear(self, sl: slice, v: np.ndarray) -> None:
        """Add ``v`` to the linear term of the variables ``sl``."""
        self._linear.append((sl, v))

    def solve(self) -> tuple[np.ndarray, float]:
        """The weights and the objective value (scaled units) of the verified solution."""
        N = self.cb.nvar
        P = sp.lil_matrix((N, N))
        for (a0, a1), M in self._blocks.items():
            P[a0:a1, a0:a1] = M.toarray() if sp.issparse(M) else M
        q = np.zeros(N)
        for sl, v in self._linear:
            q[sl] += v
        x, status = self.cb.solve(sp.csc_matrix(P), q)
        val = 0.5 * x @ (P.tocsc() @ x) + q @ x
        if self.k is not None:
            kk = float(x[self.k][0])
            if not kk > 0:
                raise SolverError(
                    f"{self.name}: no positive scale in the homogenised problem", status
                )
            return x[self.w] / kk, val
        return x[self.w], val


def _add_box(cb: ConicBuilder, w: slice, box: Box, k: slice | None) -> None:
    n = box.n
    fin_hi = np.isfinite(box.hi)
    fin_lo = np.isfinite(box.lo)
    Id = sp.identity(n, format="csr")
    if k is None:
        cb.eq([(w, np.ones((1, n)))], [box.budget])
        if fin_hi.any():
            cb.le([(w, Id[fin_hi])], box.hi[fin_hi])
        if fin_lo.any():
            cb.le([(w, -Id[fin_lo])], -box.lo[fin_lo])
    else:
        cb.eq([(w, np.ones((1, n))), (k, [[-box.budget]])], [0.0])
        if fin_hi.any():
            cb.le([(w, Id[fin_hi]), (k, -box.hi[fin_hi][:, None])], np.zeros(int(fin_hi.sum())))
        if fin_lo.any():
            cb.le([(w, -Id[fin_lo]), (k, box.lo[fin_lo][:, None])], np.zeros(int(fin_lo.sum())))
        cb.le([(k, [[-1.0]])], [0.0])


def _add_gross(cb: ConicBuilder, w: slice, box: Box, k: slice | None) -> None:
    if box.gross is None:
        return
    n = box.n
    t = cb.var(n)
    Id = sp.identity(n, format="csr")
    cb.le([(w, Id), (t, -Id)], np.zeros(n))
    cb.le([(w, -Id), (t, -Id)], np.zeros(n))
    if k is None:
        cb.le([(t, np.ones((1, n)))], [box.gross])
    else:
        cb.le([(t, np.ones((1, n))), (k, [[-box.gross]])], [0.0])


def _add_trades(
    cb: ConicBuilder,
    w: slice,
    prev: np.ndarray | None,
    max_turnover: float | None,
    k: slice | None,
) -> slice | None:
    """d >= |w - prev| (times k when homogenised) and sum d <= max_turnover."""
    if prev is None:
        return None
    n = prev.shape[0]
    d = cb.var(n)
    Id = sp.identity(n, format="csr")
    if k is None:
        cb.le([(w, Id), (d, -Id)], prev)
        cb.le([(w, -Id), (d, -Id)], -prev)
        if max_turnover is not None:
            cb.le([(d, np.ones((1, n)))], [max_turnover])
    else:
        cb.le([(w, Id), (d, -Id), (k, -prev[:, None])], np.zeros(n))
        cb.le([(w, -Id), (d, -Id), (k, prev[:, None])], np.zeros(n))
        if max_turnover is not None:
            cb.le([(d, np.ones((1, n))), (k, [[-max_turnover]])], [0.0])
    return d
