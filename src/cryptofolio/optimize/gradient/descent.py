"""The optimiser loop: projected Adam, projected gradient descent or mirror descent, batched.

All ``B`` problems move together as one tensor program; each stops moving once its
first-order residual ``max |w - P(w - g)|`` (``g`` the gradient over its largest entry at the
start, ``P`` the exact projection) is at most ``tol``. A problem whose residual has not reached
a new low for :data:`PATIENCE` convergence checks has its learning rate halved (at a constant
rate, Adam and a too-long plain step circle the optimum instead of reaching it). The loop never turns a non-converged
problem into a solution: it reports the residual of every problem and the caller decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptofolio.errors import OptimizationError, SolverError
from cryptofolio.optimize.gradient._torch import import_torch
from cryptofolio.optimize.gradient.projections import kl_project_capped_simplex, project
from cryptofolio.optimize.gradient.spec import GradientSpec, Method

torch = import_torch()
Tensor = torch.Tensor

#: a loss that grows past this many times its starting size (plus one) has diverged
_BLOW_UP = 1e8
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-12
#: convergence checks without a new lowest residual before a problem's learning rate is halved
PATIENCE = 5

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TensorSet:
    """The constraint set on the device: bounds ``(n,)``, budget, gross cap (``None``: none)."""

    lo: Tensor
    hi: Tensor
    budget: float
    gross: float | None

    def project(self, y: Tensor) -> Tensor:
        return project(y, self.lo, self.hi, self.budget, self.gross)

    def residual(self, x: Tensor, g: Tensor) -> Tensor:
        """``max |x - P(x - g)|`` per row ``(B,)``: 0 exactly at a first-order (KKT) point."""
        return (x - self.project(x - g)).abs().amax(-1)


@dataclass(frozen=True)
class Descent:
    """What the loop ends with (tensors on the device)."""

    weights: Tensor
    losses: Tensor
    gradients: Tensor  # scaled gradients at ``weights``
    converged: Tensor
    residuals: Tensor
    iterations: Tensor


def value_and_grad(loss_fn: Callable[[Tensor], Tensor], x: Tensor) -> tuple[Tensor, Tensor]:
    """The losses ``(B,)`` at ``x`` ``(B, n)`` and their gradients ``(B, n)`` (detached).

    Raises
    ------
    OptimizationError
        The objective returns something other than one loss per problem, or a value that does
        not depend on the weights through torch operations (no gradient).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_fn(x)
        if not isinstance(loss, torch.Tensor) or tuple(loss.shape) != (x.shape[0],):
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise OptimizationError(
                f"the objective must return one loss per problem, shape ({x.shape[0]},); it "
                f"returned {shape}"
            )
        if not loss.requires_grad:
            raise OptimizationError(
                "the objective is not differentiable in the weights: its value has no gradient "
                "(it does not depend on them through torch operations, or detaches them)"
            )
        (grad,) = torch.autograd.grad(loss.sum(), x, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(x)
    return loss.detach(), grad.detach()


def _first_bad(mask: Tensor) -> int:
    return int(torch.nonzero(mask)[0, 0])


def check_start(loss: Tensor, grad: Tensor) -> None:
    """Raise :class:`OptimizationError` when the loss or its gradient is not finite at the start."""
    bad = ~torch.isfinite(loss)
    if bool(bad.any()):
        j = _first_bad(bad)
        raise OptimizationError(
            f"the objective is {float(loss[j])} at the starting weights (problem {j}); it must "
            "return a finite loss on the constraint set (check for a division by zero, a log of "
            "a non-positive number or NaN in the data)"
        )
    bad = ~torch.isfinite(grad).all(-1)
    if bool(bad.any()):
        j = _first_bad(bad)
        raise OptimizationError(
            f"the objective's gradient is not finite at the starting weights (problem {j}): it is "
            "not differentiable there (e.g. sqrt or abs at 0); change the objective or the start"
        )


def _check_step(loss: Tensor, grad: Tensor, start: Tensor, it: int, spec: GradientSpec) -> None:
    bad = ~torch.isfinite(loss) | ~torch.isfinite(grad).all(-1)
    bad |= loss.abs() > _BLOW_UP * (start.abs() + 1.0)
    if bool(bad.any()):
        j = _first_bad(bad)
        raise SolverError(
            f"the optimisation diverged at iteration {it} (problem {j}: the loss went from "
            f"{float(start[j]):.6g} to {float(loss[j]):.6g}); lower the learning rate "
            f"(--lr, now {spec.lr:g})",
            status="diverged",
        )


def descend(
    loss_fn: Callable[[Tensor], Tensor],
    start: Tensor,
    feasible: TensorSet,
    spec: GradientSpec,
    progress: Progress | None = None,
) -> Descent:
    """Minimise ``loss_fn`` (``(B, n) -> (B,)``, rows independent) over ``feasible`` from
    ``start`` (feasible, ``(B, n)``) with ``spec``; ``progress(done, total)`` is called at each
    convergence check.

    Raises
    ------
    OptimizationError
        The objective is not finite or not differentiable at the start (:func:`check_start`).
    SolverError
        The loss became infinite or NaN, or blew up (status ``"diverged"``: lower ``lr``).
    """
    x = start
    loss, grad = value_and_grad(loss_fn, x)
    check_start(loss, grad)
    scale = grad.abs().amax(-1, keepdim=True)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    loss0, total = loss, int(spec.iterations)
    g = grad / scale
    residual = feasible.residual(x, g)
    active = residual > spec.tol
    done = torch.zeros_like(loss, dtype=torch.long)
    m = torch.zeros_like(x)
    v = torch.zeros_like(x)
    lr = torch.full_like(loss, spec.lr)[:, None]
    best, stalled = residual, torch.zeros_like(done)
    it = 0
    while bool(active.any()) and it < total:
        it += 1
        step = _step(x, g, m, v, it, feasible, spec.method, lr)
        x = torch.where(active[:, None], step, x)
        loss, grad = value_and_grad(loss_fn, x)
        _check_step(loss, grad, loss0, it, spec)
        g = grad / scale
        done = torch.where(active, it, done)
        if it % spec.check_every == 0 or it == total:
            residual = torch.where(active, feasible.residual(x, g), residual)
            active = active & (residual > spec.tol)
            stalled = torch.where(residual < best, 0, stalled + 1)
            best = torch.minimum(best, residual)
            halve = active & (stalled >= PATIENCE)
            lr = torch.where(halve[:, None], 0.5 * lr, lr)
            stalled = torch.where(halve, 0, stalled)
            if progress is not None:
                progress(it, total)
    if progress is not None:
        progress(total, total)
    return Descent(x, loss, g, residual <= spec.tol, residual, done)


def _step(
    x: Tensor, g: Tensor, m: Tensor, v: Tensor, it: int, feasible: TensorSet, method, lr: Tensor
) -> Tensor:
    """One update of every row with its learning rate ``lr`` ``(B, 1)`` (``m``, ``v``: Adam's
    moments, updated in place)."""
    if method is Method.GD:
        return feasible.project(x - lr * g)
    if method is Method.MIRROR:
        return kl_project_capped_simplex(torch.log(x) - lr * g, feasible.hi, feasible.budget)
    d = x - feasible.project(x - g)  # the gradient mapping: 0 at the optimum
    m.mul_(_BETA1).add_(d, alpha=1 - _BETA1)
    v.mul_(_BETA2).addcmul_(d, d, value=1 - _BETA2)
    m_hat = m / (1 - _BETA1**it)
    v_hat = v / (1 - _BETA2**it)
    return feasible.project(x - lr * m_hat / (torch.sqrt(v_hat) + _EPS))


def starting_weights(feasible: TensorSet, batch: int, dtype, device) -> Tensor:
    """Equal weights ``budget / n`` moved onto the set (Euclidean projection), ``(B, n)``; for
    mirror descent, strictly positive (the Kullback-Leibler projection of equal weights)."""
    n = feasible.lo.shape[0]
    equal = torch.full((batch, n), feasible.budget / n, dtype=dtype, device=device)
    return feasible.project(equal)


def positive_start(feasible: TensorSet, batch: int, dtype, device) -> Tensor:
    """The strictly positive start of mirror descent on ``{0 <= w <= hi, sum(w) = budget}``."""
    n = feasible.lo.shape[0]
    zeros = torch.zeros((batch, n), dtype=dtype, device=device)
    return kl_project_capped_simplex(zeros, feasible.hi, feasible.budget)


__all__ = [
    "Descent",
    "TensorSet",
    "check_start",
    "descend",
    "positive_start",
    "starting_weights",
    "value_and_grad",
]
