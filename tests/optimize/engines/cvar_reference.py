"""The full Rockafellar-Uryasev LP solved at once with HiGHS: an independent reference for the
scenario-generation CVaR solver (tests only)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from cryptofolio.errors import SolverError
from cryptofolio.optimize.measures import historical_cvar
from cryptofolio.optimize.problem import Problem


def solve_min_cvar_lp(pb: Problem, R: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Rockafellar-Uryasev LP with HiGHS (box + budget, no L2/costs); returns (w, CVaR).

    Variables (w, a, u): min a + sum(u) / ((1 - alpha) T) s.t. -R w - a - u <= 0, u >= 0,
    sum w = budget, lo <= w <= hi. The scenarios are divided by max |R| before solving. The
    answer is verified three ways: HiGHS's status, the LP duality certificate from its
    marginals (stationarity and gap, 1e-7 relative), and the CVaR of the weights computed
    directly from the scenarios against the LP's objective (1e-7 relative).
    """

    n, T = pb.n, R.shape[0]
    rs = max(float(np.max(np.abs(R))), 1e-300)
    Rs = R / rs
    c = np.concatenate([np.zeros(n), [1.0], np.full(T, 1.0 / ((1 - alpha) * T))])
    A_ub = sp.hstack(
        [sp.csr_matrix(-Rs), sp.csr_matrix(-np.ones((T, 1))), -sp.identity(T, format="csr")],
        format="csc",
    )
    A_eq = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(1 + T)])[None, :])
    lb = np.concatenate([pb.box.lo, [-np.inf], np.zeros(T)])
    ub = np.concatenate([pb.box.hi, [np.inf], np.full(T, np.inf)])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(T),
        A_eq=A_eq,
        b_eq=[pb.box.budget],
        bounds=np.column_stack([lb, ub]),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise SolverError(f"min-cvar LP (HiGHS) failed: {res.message}", status=str(res.status))
    x = res.x
    y_ub, y_eq = res.ineqlin.marginals, res.eqlin.marginals
    lam_l, lam_u = res.lower.marginals, res.upper.marginals
    resid = c - A_ub.T @ y_ub - A_eq.T @ y_eq - lam_l - lam_u
    dual = float(
        y_eq @ [pb.box.budget]
        + lam_l[np.isfinite(lb)] @ lb[np.isfinite(lb)]
        + lam_u[np.isfinite(ub)] @ ub[np.isfinite(ub)]
    )
    w = x[:n]
    direct = historical_cvar(w, Rs, alpha)
    scale = max(1.0, abs(res.fun))
    errs = {
        "stationarity": float(np.max(np.abs(resid))),
        "dual_sign": float(max(np.max(y_ub, initial=0.0), np.max(-lam_l, initial=0.0), 0.0)),
        "gap": abs(res.fun - dual) / scale,
        "cvar_of_weights": abs(res.fun - direct) / scale,
    }
    bad = {k: v for k, v in errs.items() if v > 1e-7}
    if bad:
        detail = ", ".join(f"{k}={v:.1e}" for k, v in bad.items())
        raise SolverError(
            f"the min-cvar LP solution does not verify: {detail}", status="unverified"
        )
    return w, direct * rs
