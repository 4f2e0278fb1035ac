"""The active set's fast reduced solves (one budget row; the homogenised max-Sharpe form)
against the reduced KKT system written out in full and solved by numpy.linalg.solve."""

from __future__ import annotations

import _solve_parts as S
import numpy as np
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints
from cryptofolio.optimize.engines import reduced as AS


def _dense_reduced(prob: AS.BoxQP, state: np.ndarray):
    """Solve min 1/2 y'Py + q'y s.t. A y + a k = c, y_B = bound values (times k when
    homogeneous; k = 1 otherwise) as one dense linear system in (y_F, [k], nu)."""
    n, m = prob.n, prob.A.shape[0]
    fi = np.flatnonzero(state == AS.FREE)
    bi = np.flatnonzero(state != AS.FREE)
    bv = np.where(state[bi] < 0, prob.lo[bi], prob.hi[bi])
    # y = E z + f with z = (y_F, k) (homogeneous) or z = y_F (k = 1)
    nz = fi.size + (1 if prob.homogeneous else 0)
    E = np.zeros((n, nz))
    E[fi, np.arange(fi.size)] = 1.0
    f = np.zeros(n)
    if prob.homogeneous:
        E[bi, -1] = bv
        Ak = np.concatenate([np.zeros(fi.size), [1.0]])  # k = Ak @ z
        G = prob.A @ E + np.outer(prob.a, Ak)
        rhs_c = prob.c
    else:
        f[bi] = bv
        G = prob.A @ E
        rhs_c = prob.c - prob.a - prob.A @ f
    H = E.T @ prob.P @ E
    lin = E.T @ (prob.P @ f + prob.q)
    K = np.block([[H, G.T], [G, np.zeros((m, m))]])
    sol = np.linalg.solve(K, np.concatenate([-lin, rhs_c]))
    z, nu = sol[:nz], sol[nz:]
    y = E @ z + f
    k = z[-1] if prob.homogeneous else 1.0
    g = prob.P @ y + prob.q + prob.A.T @ nu
    return y, k, nu, g


def _random_state(rng, n, free, upper=0):
    state = np.full(n, AS.LOWER, dtype=np.int8)
    idx = rng.permutation(n)
    state[idx[:free]] = AS.FREE
    state[idx[free : free + upper]] = AS.UPPER
    return state


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kind", ["minvar", "utility", "sharpe"])
def test_fast_reduced_solves_match_the_dense_kkt_system(seed, kind):
    rng = np.random.default_rng(seed)
    cov, mu, _ = make_problem(12, seed=seed, drift=0.003)
    cons = Constraints(max_weight=0.3) if seed % 2 else Constraints()
    pb = S.make_problem(cov, mu, cons, need_mu=True)
    qp = {
        "minvar": S.minvar_qp,
        "utility": lambda p: S.utility_qp(p, 2.0),
        "sharpe": S.max_sharpe_qp,
    }[kind](pb)
    for free, upper in [(12, 0), (5, 0), (3, 2 if seed % 2 else 0), (2, 0)]:
        state = _random_state(rng, 12, free, upper)
        got = AS.reduced_solve(qp, state)
        y, k, nu, g = _dense_reduced(qp, state)
        scale = max(1.0, np.abs(y).max())
        np.testing.assert_allclose(got.y, y, rtol=1e-8, atol=1e-10 * scale)
        assert got.k == pytest.approx(k, rel=1e-8, abs=1e-12)
        np.testing.assert_allclose(got.nu, nu, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(nu).max()))
        np.testing.assert_allclose(got.g, g, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(g).max()))
