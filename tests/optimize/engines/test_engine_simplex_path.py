"""Long-only minimum variance and utility within the budget take the certified one-pass path
(``engines/simplex.py`` through ``engines.box_qp.solve_on_simplex``): the answer is the interior-point
solver's, a failed certificate hands the problem to the general path, and the certificate
reports the violations of a perturbed point exactly. References: cvxpy + Clarabel, and closed
forms of the residuals."""

from __future__ import annotations

import _solve_parts as S
import cvxpy as cp
import numpy as np
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio
from cryptofolio.optimize.engines import reduced as AS
from cryptofolio.optimize.engines import simplex as SX
from cryptofolio.optimize.engines.segment import kkt_residuals


def _clarabel(cov: np.ndarray, mu: np.ndarray | None, risk_aversion: float, l2: float) -> float:
    """Optimal value of min w'Σw/2 - λ μ'w + l2 ||w||² over the long-only simplex (for
    minimum variance, whose objective is w'Σw + γ ||w||², halved: l2 = γ / 2)."""
    vals, vecs = np.linalg.eigh(cov)
    half = vecs * np.sqrt(np.clip(vals, 0.0, None))
    w = cp.Variable(cov.shape[0])
    objective = 0.5 * cp.sum_squares(half.T @ w) + l2 * cp.sum_squares(w)
    if mu is not None:
        objective = objective - risk_aversion * (mu @ w)
    prob = cp.Problem(cp.Minimize(objective), [cp.sum(w) == 1, w >= 0])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return float(prob.value)


def _value(cov, mu, risk_aversion, l2, w) -> float:
    value = 0.5 * w @ cov @ w + l2 * w @ w
    return float(value - risk_aversion * mu @ w) if mu is not None else float(value)


@pytest.mark.parametrize("n", [5, 40, 120])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_the_general_path_is_not_needed_and_the_answer_is_clarabels(monkeypatch, n, l2):
    cov, mu, _ = make_problem(n, seed=n, drift=0.003)

    def general(*args, **kwargs):
        raise AssertionError("the long-only path handed the problem back")

    monkeypatch.setattr(S, "solve_verified", general)
    cons = Constraints(l2=l2)
    C = cov.to_numpy()
    for objective, m, lam in [
        (Objective.MIN_VARIANCE, None, 0.0),
        (Objective.MAX_UTILITY, mu, 0.7),
    ]:
        res = optimize_portfolio(cov, m, objective=objective, constraints=cons, risk_tolerance=lam)
        w = res.weights.to_numpy()
        assert w.min() >= 0.0 and w.sum() == pytest.approx(1.0, abs=1e-12)
        m_ = None if m is None else m.to_numpy()
        half = l2 / 2 if m is None else l2
        best = _clarabel(C, m_, lam, half)
        assert _value(C, m_, lam, half, w) <= best + 1e-9 * max(1.0, abs(best))
        assert res.volatility == pytest.approx(float(np.sqrt(w @ C @ w)), rel=1e-12)


def test_a_failed_certificate_hands_the_problem_to_the_general_path(monkeypatch):
    cov, _, _ = make_problem(30, seed=3)
    expected = optimize_portfolio(cov).weights.to_numpy()
    calls = {"general": 0}
    import cryptofolio.optimize.engines.box_qp as box_qp
    import cryptofolio.optimize.objectives.min_variance as min_variance

    general = min_variance.solve_verified

    def counted(*args, **kwargs):
        calls["general"] += 1
        return general(*args, **kwargs)

    monkeypatch.setattr(box_qp, "simplex_residuals", lambda *a, **k: {"stationarity": float("nan")})
    monkeypatch.setattr(min_variance, "solve_verified", counted)
    got = optimize_portfolio(cov).weights.to_numpy()
    assert calls["general"] == 1
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_the_certificate_reports_a_perturbed_point_exactly():
    cov, _, _ = make_problem(12, seed=4)
    pb = S.make_problem(cov, None, Constraints(), need_mu=False)
    P = pb.Ss
    hi = pb.box.hi
    sol = SX.solve_simplex(P, None, 1.0, SX.simplex_start(P, None))
    assert sol is not None
    clean = SX.simplex_residuals(P, None, 1.0, hi, sol)
    assert max(clean.values()) < 1e-12
    # the general check of the same point, built as the general path builds it
    qp = S.minvar_qp(pb)
    state = np.where(sol.free, AS.FREE, AS.LOWER).astype(np.int8)
    general = kkt_residuals(qp, state, AS.Reduced(y=sol.y, k=1.0, nu=np.array([sol.nu]), g=sol.g))
    assert general.keys() == clean.keys()
    for key in clean:
        assert clean[key] == pytest.approx(general[key], abs=1e-14)
    # a bound asset moved off zero by d: the budget is off by d, and so is complementarity
    held = int(np.flatnonzero(~sol.free)[0])
    d = 1e-6
    y = sol.y.copy()
    y[held] = d
    moved = SX.SimplexSolution(y=y, nu=sol.nu, g=sol.g, free=sol.free, steps=sol.steps)
    res = SX.simplex_residuals(P, None, 1.0, hi, moved)
    assert res["equality"] == pytest.approx(d, rel=1e-9)
    assert res["complementarity"] == d
    # a free asset pushed below zero by d: a bound violation of d
    free = int(np.flatnonzero(sol.free)[0])
    y = sol.y.copy()
    y[free] = -d
    res = SX.simplex_residuals(P, None, 1.0, hi, SX.SimplexSolution(y, sol.nu, sol.g, sol.free, 0))
    assert res["bounds"] == d
    # a NaN weight makes every comparison with the tolerance fail
    y[free] = np.nan
    res = SX.simplex_residuals(P, None, 1.0, hi, SX.SimplexSolution(y, sol.nu, sol.g, sol.free, 0))
    assert not res["equality"] <= S.VERIFY_TOL


def test_only_the_weight_problems_skip_the_separate_weight_check(monkeypatch):
    """Minimum variance and utility solve for the weights themselves (verified against the
    bounds and the budget); max-Sharpe rescales a verified point, so its weights are checked."""
    cov, mu, _ = make_problem(10, seed=5, drift=0.003)
    checked = []
    import cryptofolio.optimize.results as results

    original = results.check_weights
    monkeypatch.setattr(
        results, "check_weights", lambda pb, w: (checked.append(1), original(pb, w))
    )
    optimize_portfolio(cov, mu, objective=Objective.MIN_VARIANCE)
    optimize_portfolio(cov, mu, objective=Objective.MAX_UTILITY)
    assert checked == []
    optimize_portfolio(cov, mu, objective=Objective.MAX_SHARPE)
    assert checked == [1]
