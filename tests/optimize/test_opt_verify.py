"""The active set's answer is returned only when its KKT check passes; a NaN residual fails
the check like a large one (a comparison with NaN is false, so ``residual > tol`` alone would
let it through)."""

from __future__ import annotations

import math

import _solve_parts as S
import pytest
from _opt_problems import make_problem

import cryptofolio.optimize.engines.box_qp as box_qp
from cryptofolio.errors import SolverError
from cryptofolio.optimize import Constraints


@pytest.mark.parametrize("bad", [math.nan, 1e-3])
def test_a_failed_or_nan_kkt_residual_is_not_returned(monkeypatch, bad):
    cov, _, _ = make_problem(8, seed=1)
    qp = S.minvar_qp(S.make_problem(cov, None, Constraints(), need_mu=False))
    residuals = {"equality": 0.0, "bounds": 0.0, "stationarity": bad}
    monkeypatch.setattr(box_qp, "kkt_residuals", lambda *a, **k: dict(residuals))
    with pytest.raises(SolverError, match="does not verify") as info:
        S.solve_verified(qp, None)
    assert info.value.status == "unverified"


def test_a_clean_check_returns_the_solution():
    cov, _, _ = make_problem(8, seed=1)
    qp = S.minvar_qp(S.make_problem(cov, None, Constraints(), need_mu=False))
    sol, _ = S.solve_verified(qp, None)
    assert sol.y.sum() == pytest.approx(1.0, abs=1e-12)
