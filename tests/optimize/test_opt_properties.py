"""Property-based tests over random valid problems (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptofolio.optimize import Constraints, optimize_portfolio


@st.composite
def problems(draw):
    n = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n + 2)) * rng.uniform(0.2, 1.0, size=(n, 1))
    S = B @ B.T / (n + 2) + np.diag(rng.uniform(0.01, 0.3, n))
    mu = rng.normal(0.3, 0.4, size=n)
    shorts = draw(st.booleans())
    budget = draw(st.sampled_from([1.0, 0.5, 0.0])) if shorts else 1.0
    lo = -draw(st.floats(0.05, 0.6)) if shorts else draw(st.floats(0.0, 0.9 / n))
    hi = draw(st.floats(max(1.05 / n, lo + 0.05), 1.0)) if budget > 0 else draw(st.floats(0.1, 1))
    gross = None
    if shorts and draw(st.booleans()):
        gross = abs(budget) + draw(st.floats(0.1, 1.5))
    l2 = draw(st.sampled_from([0.0, 0.0, 0.05]))
    assets = [f"A{i}" for i in range(n)]
    cov = pd.DataFrame(S, index=assets, columns=assets)
    cons = Constraints(budget=budget, min_weight=lo, max_weight=hi, gross_exposure=gross, l2=l2)
    return cov, pd.Series(mu, index=assets), cons, rng


def _random_feasible(cons: Constraints, n: int, rng, count: int = 300) -> np.ndarray:
    """Feasible points: random convex combinations of vertices found by greedy filling."""
    out = []
    for _ in range(count * 4):
        order = rng.permutation(n)
        w = np.full(n, cons.min_weight)
        gap = cons.budget - w.sum()
        for i in order:
            step = min(cons.max_weight - cons.min_weight, gap) * rng.uniform(0.3, 1.0)
            w[i] += step
            gap -= step
        w[order[-1]] += gap  # close the budget on the last asset
        ok = (w >= cons.min_weight - 1e-12).all() and (w <= cons.max_weight + 1e-12).all()
        if cons.gross_exposure is not None:
            ok = ok and np.abs(w).sum() <= cons.gross_exposure
        if ok:
            out.append(w)
        if len(out) >= count:
            break
    return np.array(out).reshape(-1, n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_min_variance_and_utility_properties(problem):
    cov, mu, cons, rng = problem
    S, m, n = cov.to_numpy(), mu.to_numpy(), len(mu)
    pts = _random_feasible(cons, n, rng)
    for objective in ("min-variance", "max-utility"):
        w = optimize_portfolio(cov, mu, objective=objective, constraints=cons).weights.to_numpy()
        assert abs(w.sum() - cons.budget) < 1e-9
        assert w.min() >= cons.min_weight - 1e-9
        assert w.max() <= cons.max_weight + 1e-9
        if cons.gross_exposure is not None:
            assert np.abs(w).sum() <= cons.gross_exposure + 1e-8

        def f(x, objective=objective):
            x = np.atleast_2d(x)
            quad = np.einsum("ij,jk,ik->i", x, S, x)
            l2 = cons.l2 * (x**2).sum(axis=1)
            if objective == "min-variance":
                return quad + l2
            return 0.5 * quad - x @ m + l2

        if len(pts):
            assert f(w)[0] <= f(pts).min() + 1e-10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_max_sharpe_properties(problem):
    cov, mu, cons, rng = problem
    if cons.budget <= 0 or cons.l2 > 0:
        return
    S, m, n = cov.to_numpy(), mu.to_numpy(), len(mu)
    pts = _random_feasible(cons, n, rng)
    try:
        res = optimize_portfolio(cov, mu, objective="max-sharpe", constraints=cons)
    except ValueError:  # InfeasibleError: nothing above the risk-free rate
        # the highest attainable return under the bounds and the budget, by an LP (HiGHS):
        # with caps it can be negative although some asset's expected return is positive
        from scipy.optimize import linprog

        # variables (w, t) with |w| <= t and sum t <= gross (no cap: t free of cost)
        eye = np.eye(n)
        a_ub = np.block([[eye, -eye], [-eye, -eye]])
        b_ub = np.zeros(2 * n)
        if cons.gross_exposure is not None:
            a_ub = np.vstack([a_ub, np.concatenate([np.zeros(n), np.ones(n)])])
            b_ub = np.append(b_ub, cons.gross_exposure)
        best = linprog(
            np.concatenate([-m, np.zeros(n)]),
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=np.concatenate([np.ones(n), np.zeros(n)])[None, :],
            b_eq=[cons.budget],
            bounds=[(cons.min_weight, cons.max_weight)] * n + [(0, None)] * n,
            method="highs",
        )
        assert best.status == 0 and -best.fun <= 1e-9
        return
    w = res.weights.to_numpy()
    assert abs(w.sum() - cons.budget) < 1e-8
    assert w.min() >= cons.min_weight - 1e-9 and w.max() <= cons.max_weight + 1e-9
    if len(pts):
        sh = (pts @ m) / np.sqrt(np.einsum("ij,jk,ik->i", pts, S, pts))
        assert res.sharpe >= sh.max() - 1e-9
