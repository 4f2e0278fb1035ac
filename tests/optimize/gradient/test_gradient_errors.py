"""Bad input to the gradient engine: a clear error naming what is wrong, never a silent answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from cryptofolio.errors import DataError, InfeasibleError, OptimizationError, SolverError  # noqa: E402
from cryptofolio.optimize import Constraints  # noqa: E402
from cryptofolio.optimize.gradient import (  # noqa: E402
    CustomObjective,
    GradientSpec,
    MinVariance,
    ObjectiveData,
    optimize_gradient,
    solve_batch,
)

NAMES = ["BTC", "ETH", "SOL", "ADA"]


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(0.001, 0.02, size=(120, 4)), columns=NAMES)


@pytest.fixture(scope="module")
def cov(returns) -> pd.DataFrame:
    return returns.cov() * 365


def test_an_objective_returning_nan_at_the_start_is_refused(cov, returns):
    nan_loss = CustomObjective(lambda w, r: (w @ r.T).mean(-1) * float("nan"))
    with pytest.raises(OptimizationError, match=r"at the starting weights.*finite loss"):
        optimize_gradient(cov, objective=nan_loss, returns=returns)


def test_an_objective_not_differentiable_at_the_start_is_refused(cov, returns):
    # |w - 1/4| at the equal-weight start: sqrt(0) has an infinite derivative
    kink = CustomObjective(lambda w, r: torch.sqrt((w - 0.25).square().sum(-1)))
    with pytest.raises(OptimizationError, match="not differentiable there"):
        optimize_gradient(cov, objective=kink, returns=returns)


def test_an_objective_that_detaches_the_weights_is_refused(cov, returns):
    detached = CustomObjective(lambda w, r: (w.detach() @ r.T).mean(-1))
    with pytest.raises(OptimizationError, match="not differentiable in the weights"):
        optimize_gradient(cov, objective=detached, returns=returns)


def test_an_objective_of_the_wrong_shape_is_refused(cov, returns):
    scalar = CustomObjective(lambda w, r: (w @ r.T).mean())
    with pytest.raises(OptimizationError, match=r"one loss per problem, shape \(1,\)"):
        optimize_gradient(cov, objective=scalar, returns=returns)


def test_a_diverging_loss_is_an_error_naming_the_learning_rate(cov, returns):
    # an unbounded set and a loss that falls without bound: the iterates run away
    free = Constraints(min_weight=-np.inf, max_weight=np.inf)
    runaway = CustomObjective(lambda w, r: -torch.exp(10 * (w[:, 0] - w[:, 1])))
    with pytest.raises(SolverError, match=r"diverged.*lower the learning rate") as info:
        optimize_gradient(
            cov, objective=runaway, returns=returns, constraints=free, spec=GradientSpec(lr=10.0)
        )
    assert info.value.status == "diverged"


def test_a_learning_rate_too_large_to_converge_is_never_an_answer(cov):
    spec = GradientSpec(lr=1e6, iterations=200, method="gd")
    with pytest.raises(SolverError, match="did not converge in 200 iterations") as info:
        optimize_gradient(cov, objective=MinVariance(), constraints=Constraints(), spec=spec)
    assert info.value.status == "not-converged"
    # asked for explicitly, the answer says it is not converged and how far it is
    got = optimize_gradient(cov, objective=MinVariance(), spec=spec, allow_unconverged=True)
    assert not got.converged and got.residual > spec.tol


def test_infeasible_constraints_name_the_bounds(cov):
    with pytest.raises(InfeasibleError, match=r"upper bounds sum to 0.8 < budget 1"):
        optimize_gradient(cov, objective=MinVariance(), constraints=Constraints(max_weight=0.2))
    with pytest.raises(InfeasibleError, match="DOGE"):
        optimize_gradient(
            cov, objective=MinVariance(), constraints=Constraints(bounds={"DOGE": (0, 0.1)})
        )


def test_nan_in_the_data_is_an_error_not_filled(cov):
    bad = cov.copy()
    bad.iloc[1, 2] = np.nan
    with pytest.raises(DataError, match=r"NaN or infinite.*nothing is filled"):
        solve_batch(MinVariance(), ObjectiveData(covariance=bad.to_numpy()))


def test_bad_specifications_are_refused():
    with pytest.raises(OptimizationError, match="learning rate must be a positive"):
        GradientSpec(lr=-1.0)
    with pytest.raises(OptimizationError, match="iterations must be >= 1"):
        GradientSpec(iterations=0)
    with pytest.raises(OptimizationError, match="tol must be a positive"):
        GradientSpec(tol=0.0)


def test_mirror_descent_refuses_shorts(cov):
    spec = GradientSpec(method="mirror")
    with pytest.raises(InfeasibleError, match="mirror descent works on long-only"):
        optimize_gradient(cov, objective=MinVariance(), constraints=Constraints(min_weight=-0.1),
                          spec=spec)  # fmt: skip


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_cuda_device_is_refused_and_auto_falls_back_to_the_cpu(cov):
    with pytest.raises(OptimizationError, match=r"no CUDA device is available.*--device cpu"):
        optimize_gradient(cov, objective=MinVariance(), spec=GradientSpec(device="cuda"))
    batch = solve_batch(MinVariance(), ObjectiveData(covariance=cov.to_numpy()),
                        spec=GradientSpec(device="auto"))  # fmt: skip
    assert batch.device == "cpu" and batch.all_converged
    with pytest.raises(OptimizationError, match="unknown device 'tpu'"):
        optimize_gradient(cov, objective=MinVariance(), spec=GradientSpec(device="tpu"))
