"""Entry points of the gradient engine: a batch of problems, or one labelled portfolio.

:func:`solve_batch` solves ``B`` problems of ``n`` assets as one tensor program (``B``
covariances, ``B`` returns windows, or one covariance with ``B`` risk aversions);
:func:`optimize_gradient` solves one portfolio on pandas inputs, verifies it and refuses to
return a non-converged answer unless asked; :func:`solve_config` does the same for a
:class:`~cryptofolio.optimize.PortfolioConfig` (what ``cryptofolio optimize --solver gradient``
calls).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from cryptofolio.errors import DataError, SolverError
from cryptofolio.optimize import Constraints
from cryptofolio.optimize.gradient._torch import import_torch, resolve_device
from cryptofolio.optimize.gradient.descent import (
    Descent,
    Progress,
    TensorSet,
    descend,
    positive_start,
    starting_weights,
    value_and_grad,
)
from cryptofolio.optimize.gradient.feasible import (
    FeasibleSet,
    check_capped_simplex,
    feasible_set,
)
from cryptofolio.optimize.gradient.objectives import MinVariance, ObjectiveData, with_l2
from cryptofolio.optimize.gradient.spec import BatchResult, GradientPortfolio, GradientSpec, Method
from cryptofolio.optimize.gradient.verification import (
    exact_weights,
    first_order_residuals,
    objective_gap,
)

torch = import_torch()
Tensor = torch.Tensor
LossFunction = Callable[[Tensor, ObjectiveData], Tensor]

#: the data fields, the number of dimensions of one shared value, and their names in messages
_FIELDS = {"covariance": (2, "covariance"), "expected_returns": (1, "expected returns"),
           "returns": (2, "returns window")}  # fmt: skip


def _tensor(value, name: str, dtype, device) -> Tensor:
    if isinstance(value, pd.DataFrame | pd.Series):
        value = value.to_numpy(dtype=float)
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        value = value.copy()  # torch warns on read-only arrays (pandas' views are read-only)
    t = torch.as_tensor(value, dtype=dtype, device=device)
    if not bool(torch.isfinite(t).all()):
        where = torch.nonzero(~torch.isfinite(t))[0].tolist()
        raise DataError(
            f"the {name} has a NaN or infinite value (at index {where}); clean the data first "
            "(nothing is filled here)"
        )
    return t


def _on_device(data: ObjectiveData, n: int, dtype, device) -> tuple[ObjectiveData, int | None]:
    """``data`` as tensors on the device, checked against ``n`` assets; and the batch size its
    batched fields agree on (``None``: every field shared)."""
    batch: int | None = None
    moved = {}
    for field, (dims, name) in _FIELDS.items():
        value = getattr(data, field)
        if value is None:
            continue
        t = _tensor(value, name, dtype, device)
        if t.dim() not in (dims, dims + 1) or t.shape[-1] != n:
            raise DataError(
                f"the {name} has shape {tuple(t.shape)}; expected {n} assets in the last axis "
                f"and {dims} (shared) or {dims + 1} (one per problem) dimensions"
            )
        if field == "covariance" and t.shape[-2] != n:
            raise DataError(f"the covariance has shape {tuple(t.shape)}; it must be square")
        if t.dim() == dims + 1:
            if batch is not None and t.shape[0] != batch:
                raise DataError(
                    f"the {name} holds {t.shape[0]} problems but another input holds {batch}; "
                    "give every batched input the same first dimension"
                )
            batch = int(t.shape[0])
        moved[field] = t
    return replace(data, **moved), batch


def _n_assets(data: ObjectiveData) -> int:
    for field in ("covariance", "expected_returns", "returns"):
        value = getattr(data, field)
        if value is not None:
            return int(np.shape(value)[-1])
    raise DataError("no data given: pass a covariance, expected returns or a returns window")


def solve_batch(
    objective: LossFunction,
    data: ObjectiveData,
    constraints: Constraints = Constraints(),
    *,
    assets: Sequence[str] | None = None,
    spec: GradientSpec = GradientSpec(),
    progress: Progress | None = None,
) -> BatchResult:
    """Minimise ``objective`` for every problem of ``data`` over the set of ``constraints``.

    Parameters
    ----------
    objective
        A built-in objective (:mod:`~cryptofolio.optimize.gradient.objectives`) or any
        ``loss(weights (B, n), data) -> (B,)`` in torch (rows independent).
    data
        :class:`ObjectiveData`: arrays with a leading batch axis are one per problem, the others
        shared; ``B`` is that axis (1 when every input is shared; or the length of
        ``Utility.risk_aversion``).
    constraints
        Bounds, budget, gross cap and L2 (the L2 term is added to the objective); the same for
        every problem.
    assets
        Names of the ``n`` assets (for per-asset bounds); default ``"0"``, ``"1"``, ...
    spec, progress
        :class:`GradientSpec`; ``progress(done, total)`` is called at every convergence check.

    Returns
    -------
    BatchResult
        Weights, losses, ``converged`` flags and first-order residuals of every problem; a
        problem that did not converge is flagged, never passed off as a solution.

    Raises
    ------
    InfeasibleError
        The constraints cannot all hold (names the bounds at fault).
    DataError
        Inputs with NaN, or shapes that do not agree.
    OptimizationError, SolverError
        The objective is not finite or not differentiable at the start; the loss diverged
        (lower ``spec.lr``).
    """
    n = _n_assets(data)
    names = tuple(str(a) for a in assets) if assets is not None else tuple(map(str, range(n)))
    if len(names) != n:
        raise DataError(f"{len(names)} asset names given for {n} assets")
    fs = feasible_set(constraints, names)
    dtype = getattr(torch, spec.dtype)
    device = resolve_device(spec.device)
    moved, batch = _on_device(data, n, dtype, device)
    batch = _batch_size(batch, getattr(objective, "batch_size", None))
    loss_fn = with_l2(objective, float(constraints.l2))
    descent = _run(loss_fn, moved, fs, batch, spec, progress)
    return BatchResult(
        weights=descent.weights.cpu().numpy(),
        objective_values=descent.losses.cpu().numpy(),
        converged=descent.converged.cpu().numpy(),
        residuals=descent.residuals.cpu().numpy(),
        iterations=descent.iterations.cpu().numpy(),
        assets=names,
        method=spec.method,
        device=device,
        tol=spec.tol,
    )


def _batch_size(from_data: int | None, from_objective: int | None) -> int:
    if from_data is not None and from_objective is not None and from_data != from_objective:
        raise DataError(
            f"the objective has {from_objective} parameter values (one per problem) but the data "
            f"holds {from_data} problems; make them agree"
        )
    return from_data or from_objective or 1


def _tensor_set(fs: FeasibleSet, dtype, device) -> TensorSet:
    lo = torch.as_tensor(fs.lo, dtype=dtype, device=device)
    hi = torch.as_tensor(fs.hi, dtype=dtype, device=device)
    return TensorSet(lo, hi, fs.budget, fs.gross)


def _run(loss_fn, data: ObjectiveData, fs: FeasibleSet, batch: int, spec, progress) -> Descent:
    dtype, device = getattr(torch, spec.dtype), resolve_device(spec.device)
    feasible = _tensor_set(fs, dtype, device)
    if spec.method is Method.MIRROR:
        check_capped_simplex(fs)
        feasible = replace(feasible, gross=None)  # the cap cannot bind on this set
        start = positive_start(feasible, batch, dtype, device)
    else:
        start = starting_weights(feasible, batch, dtype, device)
    return descend(lambda w: loss_fn(w, data), start, feasible, spec, progress)


def optimize_gradient(
    covariance: pd.DataFrame | None,
    expected_returns: pd.Series | None = None,
    *,
    objective: LossFunction = MinVariance(),
    constraints: Constraints = Constraints(),
    spec: GradientSpec = GradientSpec(),
    returns: pd.DataFrame | None = None,
    allow_unconverged: bool = False,
    progress: Progress | None = None,
) -> GradientPortfolio:
    """One portfolio by the gradient engine, verified.

    ``covariance`` (annualised, assets x assets) and ``expected_returns`` (annualised) as for
    :func:`~cryptofolio.optimize.optimize_portfolio`; ``returns`` (periodic, dates x assets)
    for the objectives that read a returns window (annualised with the periods a year
    inferred from its index, 365 when it has no dates). The answer carries its first-order
    residuals and, for the objectives the exact optimiser also solves (min variance, utility,
    max Sharpe without L2), its objective gap to the exact optimum.

    Raises
    ------
    SolverError
        The engine did not converge (status ``"not-converged"``; the message gives the
        residual and suggests more iterations or another learning rate), unless
        ``allow_unconverged``: then the result says ``converged=False``.
    InfeasibleError, DataError, OptimizationError
        As :func:`solve_batch`.
    """
    assets = _labels(covariance, expected_returns, returns)
    data = ObjectiveData(
        covariance=_aligned(covariance, assets, square=True),
        expected_returns=_aligned(expected_returns, assets),
        returns=_aligned(returns, assets),
        periods_per_year=_periods(returns),
    )
    result = solve_batch(objective, data, constraints, assets=assets, spec=spec, progress=progress)
    if not result.converged[0] and not allow_unconverged:
        raise SolverError(
            f"the gradient optimiser did not converge in {spec.iterations} iterations: its "
            f"first-order residual is {result.residuals[0]:.2e} > tol {spec.tol:g}; raise "
            f"--iterations (now {spec.iterations}) or change --lr (now {spec.lr:g}; lower it "
            "when the residual stalls)",
            status="not-converged",
        )
    return _portfolio(result, objective, data, constraints, covariance, expected_returns, spec)


def _labels(*frames) -> list[str]:
    for frame in frames:
        if frame is not None:
            index = frame.columns if isinstance(frame, pd.DataFrame) else frame.index
            return [str(a) for a in index]
    raise DataError("no data given: pass a covariance, expected returns or a returns window")


def _aligned(frame, assets: list[str], square: bool = False) -> np.ndarray | None:
    """The values of ``frame`` (a Series, or a DataFrame with assets as columns; ``square``:
    as rows too) in the order of ``assets``, with an error naming missing or extra assets."""
    if frame is None:
        return None
    labels = [str(a) for a in (frame.columns if isinstance(frame, pd.DataFrame) else frame.index)]
    if sorted(labels) != sorted(assets) or len(set(labels)) != len(labels):
        differ = sorted(set(assets) ^ set(labels))
        what = ", ".join(differ) if differ else "a repeated name"
        raise DataError(
            f"the inputs do not name the same assets (differing: {what}); give the "
            "covariance, expected returns and returns the same assets"
        )
    order = [labels.index(a) for a in assets]
    values = frame.to_numpy(dtype=float)
    if square:
        rows = [str(a) for a in frame.index]
        if sorted(rows) != sorted(assets):
            raise DataError("the covariance's rows and columns name different assets")
        return values[np.ix_([rows.index(a) for a in assets], order)]
    return values[..., order]


def _periods(returns: pd.DataFrame | None) -> float:
    if returns is None or not isinstance(returns.index, pd.DatetimeIndex) or len(returns) < 2:
        return 365.0
    from cryptofolio.estimate import infer_periods_per_year

    return float(infer_periods_per_year(returns.index))


def _portfolio(result, objective, data, constraints, covariance, mu, spec) -> GradientPortfolio:
    dtype, device = getattr(torch, spec.dtype), result.device
    moved, _ = _on_device(data, len(result.assets), dtype, device)
    fs = _tensor_set(feasible_set(constraints, result.assets), dtype, device)
    loss_fn = with_l2(objective, float(constraints.l2))
    w = torch.as_tensor(result.weights, dtype=dtype, device=device)
    _, grad = value_and_grad(lambda x: loss_fn(x, moved), w)
    scale = _start_scale(loss_fn, moved, fs, spec)
    first = {k: float(v[0]) for k, v in first_order_residuals(w, grad / scale, fs).items()}
    gap = None
    if covariance is not None:
        exact = exact_weights(objective, covariance, mu, constraints)
        if exact is not None:
            ref = np.array(exact.reindex(list(result.assets)).to_numpy(dtype=float)[None])
            ref = torch.as_tensor(ref, dtype=dtype, device=device)
            gap = float(objective_gap(loss_fn, w, ref, moved)[0])
    weights = pd.Series(result.weights[0], index=pd.Index(result.assets), name="weight")
    ret, vol, sharpe = _figures(weights, covariance, mu, getattr(objective, "risk_free_rate", 0.0))
    return GradientPortfolio(
        weights=weights,
        objective_value=float(result.objective_values[0]),
        converged=bool(result.converged[0]),
        residual=float(result.residuals[0]),
        iterations=int(result.iterations[0]),
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        risk_free_rate=float(getattr(objective, "risk_free_rate", 0.0)),
        first_order=first,
        exact_gap=gap,
    )


def _start_scale(loss_fn, data, fs: TensorSet, spec) -> Tensor:
    """The gradient scale the engine used (its largest entry at the start)."""
    dtype, device = fs.lo.dtype, fs.lo.device
    if spec.method is Method.MIRROR:
        start = positive_start(replace(fs, gross=None), 1, dtype, device)
    else:
        start = starting_weights(fs, 1, dtype, device)
    _, grad = value_and_grad(lambda x: loss_fn(x, data), start)
    scale = grad.abs().amax(-1, keepdim=True)
    return torch.where(scale > 0, scale, torch.ones_like(scale))


def _figures(weights: pd.Series, covariance, mu, rf: float) -> tuple[float, float, float]:
    vol = ret = math.nan
    w = weights.to_numpy()
    if covariance is not None:
        S = _aligned(covariance, list(weights.index), square=True)
        vol = math.sqrt(max(float(w @ S @ w), 0.0))
    if mu is not None:
        ret = float(_aligned(mu, list(weights.index)) @ w)
    sharpe = (ret - rf) / vol if vol > 0 else math.nan
    return ret, vol, sharpe
