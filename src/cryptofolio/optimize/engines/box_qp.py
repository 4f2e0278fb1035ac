"""The box QPs of the active-set engine built from a :class:`Problem`, solved and verified.

Every QP here is ``min 1/2 y'Py + q'y`` subject to equality rows (the budget first) and the
problem's per-asset bounds, in the scaled units of :class:`~cryptofolio.optimize.problem.Problem`
(covariance divided by its mean variance ``s``, returns by ``ms``). A solution is returned only
when its KKT residuals are all at most :data:`VERIFY_TOL`.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from cryptofolio.errors import SolverError
from cryptofolio.optimize.engines.active_set import solve_box_qp
from cryptofolio.optimize.engines.kkt import ActiveSetFailure
from cryptofolio.optimize.engines.reduced import BoxQP, reduced_solve
from cryptofolio.optimize.engines.segment import kkt_residuals
from cryptofolio.optimize.engines.simplex import simplex_residuals, simplex_start, solve_simplex
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts

VERIFY_TOL = 1e-8


def ridge(P: np.ndarray, gamma: float) -> np.ndarray:
    """``P + gamma I`` (``P`` itself when ``gamma`` is 0)."""
    if gamma:
        P = P.copy()
        P[np.diag_indices_from(P)] += gamma
    return P


def box_qp(
    pb: Problem,
    P: np.ndarray,
    q: np.ndarray,
    extra_rows: tuple = (),
    extra_rhs: tuple = (),
) -> BoxQP:
    """The QP ``min 1/2 y'Py + q'y`` s.t. ``1'y = budget``, ``extra_rows y = extra_rhs`` and the
    problem's bounds."""
    n = pb.n
    A = np.vstack([np.ones((1, n)), *[np.atleast_2d(r) for r in extra_rows]])
    c = np.array([pb.box.budget, *extra_rhs], dtype=float)
    return BoxQP(
        P=P,
        q=q,
        A=A,
        a=np.zeros(A.shape[0]),
        c=c,
        lo=pb.box.lo,
        hi=pb.box.hi,
        simplex=not extra_rows and pb.box.long_only_within_budget,
    )


def over_tolerance(residuals: dict[str, float]) -> dict[str, float]:
    """The residuals above :data:`VERIFY_TOL` (a NaN residual counts too)."""
    return {k: v for k, v in residuals.items() if not v <= VERIFY_TOL}


def unverified(qp: BoxQP, state: np.ndarray, sol) -> dict[str, float]:
    """The KKT residuals of ``sol`` above :data:`VERIFY_TOL`."""
    return over_tolerance(kkt_residuals(qp, state, sol))


def solve_verified(
    qp: BoxQP,
    warm: WarmStarts | None,
    key: Hashable | None,
    state: np.ndarray | None = None,
):
    """Active-set solve from ``state`` (or the state ``warm`` keeps under ``key``), verified by
    its KKT residuals; returns ``(solution, final state)`` and keeps the state in ``warm``.

    Raises
    ------
    SolverError
        The pivoting failed, or the solution does not verify after one refinement.
    """
    if state is None and warm is not None and key is not None:
        state = warm.get(key, qp.n)
    try:
        sol, st, _ = solve_box_qp(qp, state)
    except ActiveSetFailure as exc:
        raise SolverError(f"active-set solver failed: {exc}", status="active-set-failure") from exc
    bad = unverified(qp, st, sol)
    if bad:
        # one refinement: re-solve from the final state (rounding on an ill-conditioned system)
        sol = reduced_solve(qp, st)
        bad = unverified(qp, st, sol)
        if bad:
            detail = ", ".join(f"{k}={v:.1e}" for k, v in bad.items())
            raise SolverError(
                f"the solution does not verify (KKT residuals above {VERIFY_TOL:g}: {detail}); "
                "the covariance may be too ill-conditioned: use a shrinkage risk model",
                status="unverified",
            )
    if warm is not None and key is not None:
        warm.put(key, st)
    return sol, st


def solve_on_simplex(
    pb: Problem,
    kind: str,
    P: np.ndarray,
    q: np.ndarray | None,
    warm: WarmStarts | None,
) -> np.ndarray | None:
    """The weights of ``min 1/2 w'Pw + q'w`` over the scaled simplex of a long-only problem within
    the budget (``pb.box.long_only_within_budget``; ``q`` ``None``: no linear term), certified
    by the simplex KKT residuals (each at most :data:`VERIFY_TOL`).

    ``None`` when the loop hands the problem back or the certificate fails: the caller then
    takes the general box QP, which refines, or raises with the residuals.
    """
    key = ("simplex", kind, pb.l2, pb.box.key())
    start = warm.get(key, pb.n) if warm is not None else None
    free = start if start is not None else simplex_start(P, q)
    budget = pb.box.budget
    sol = solve_simplex(P, q, budget, free)
    if sol is None:
        return None
    if over_tolerance(simplex_residuals(P, q, budget, pb.box.hi, sol)):
        return None
    if warm is not None:
        warm.put(key, sol.free)
    return sol.y
