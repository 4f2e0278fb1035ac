"""Exact Euclidean projections onto the constraint set, batched over ``B`` problems.

For ``y`` of shape ``(B, n)`` the projection onto ``{lo <= x <= hi, sum(x) = b}`` is
``x = clip(y - tau, lo, hi)`` where ``tau`` (the budget's multiplier) is the root of the
piecewise-linear, non-increasing ``g(tau) = sum(clip(y - tau, lo, hi))``. Its breakpoints are
sorted once per row and ``g`` is evaluated at every one of them with a cumulative sum, so the
root is found exactly (no iteration) in ``O(n log n)``.

With a gross cap ``sum(|x|) <= gross`` the projection is
``x = clip(soft(y - tau, lam), lo, hi)`` (``soft`` the soft threshold), with ``lam >= 0`` the
multiplier of the cap: for each ``lam`` the same exact root gives ``tau``; ``lam`` is found by
bisection on the gross exposure (non-increasing in ``lam``) to machine precision, keeping the
feasible side. Market-neutral sets are the case ``b = 0``.

Mirror descent uses :func:`kl_project_capped_simplex`, the Bregman (Kullback-Leibler)
projection onto ``{0 <= x <= hi, sum(x) = b}``: ``x = min(hi, c z)``, also found exactly by a
sort.

Every function takes ``lo``/``hi`` as tensors of shape ``(n,)`` (infinite entries allowed) and
returns a tensor of the shape of ``y``; the caller guarantees the set is not empty
(:func:`~cryptofolio.optimize.gradient.feasible.feasible_set` checks it).
"""

from __future__ import annotations

from cryptofolio.optimize.gradient._torch import import_torch

torch = import_torch()
Tensor = torch.Tensor

_BISECTIONS = 200
_GROSS_TOL = 1e-14


def _shrink(u: Tensor, lam: Tensor | None) -> Tensor:
    """Soft threshold ``sign(u) max(|u| - lam, 0)`` (``lam`` ``None``: the identity)."""
    if lam is None:
        return u
    return torch.sign(u) * torch.clamp(u.abs() - lam, min=0.0)


def _value(u: Tensor, lo: Tensor, hi: Tensor, lam: Tensor | None) -> Tensor:
    return torch.minimum(torch.maximum(_shrink(u, lam), lo), hi)


def _ramps(y: Tensor, lo: Tensor, hi: Tensor, lam: Tensor | None) -> tuple[Tensor, Tensor]:
    """Event times (in ``tau``) and slope changes of ``g``, each of shape ``(B, m)``.

    Each asset's term of ``g`` falls with slope -1 on its ramps: where the clipped
    (soft-thresholded) value moves, ``u = y - tau`` in ``(lo, hi)``, or with a threshold in
    ``(lo - lam, min(hi, 0) - lam)`` and ``(max(lo, 0) + lam, hi + lam)``. A ramp over
    ``u`` in ``(a, c)`` starts at ``tau = y - c`` (slope -1) and ends at ``tau = y - a`` (+1).
    """
    lo = lo.expand_as(y)
    hi = hi.expand_as(y)
    if lam is None:
        pieces = [(lo, hi)]
    else:
        zero = torch.zeros_like(y)
        pieces = [
            (lo - lam, torch.minimum(hi, zero) - lam),
            (torch.maximum(lo, zero) + lam, hi + lam),
        ]
    times, deltas = [], []
    for a, c in pieces:
        live = (a < c).to(y.dtype)
        # a ramp of zero length changes nothing: its events get slope change 0 at a finite time
        start = torch.where(a < c, y - c, y)
        end = torch.where(a < c, y - a, y)
        times += [start, end]
        deltas += [-live, live]
    return torch.cat(times, dim=-1), torch.cat(deltas, dim=-1)


def _root(y: Tensor, lo: Tensor, hi: Tensor, target: Tensor, lam: Tensor | None = None) -> Tensor:
    """``tau`` of shape ``(B, 1)`` with ``sum(_value(y - tau)) = target`` (``target`` ``(B, 1)``)."""
    times, deltas = _ramps(y, lo, hi, lam)
    times, order = torch.sort(times, dim=-1)
    deltas = torch.gather(deltas, -1, order)
    finite = torch.isfinite(times)
    big = torch.finfo(y.dtype).max
    has = finite.any(dim=-1, keepdim=True)
    first = torch.where(finite, times, big).amin(dim=-1, keepdim=True)
    last = torch.where(finite, times, -big).amax(dim=-1, keepdim=True)
    first = torch.where(has, first, torch.zeros_like(first))
    last = torch.where(has, last, torch.zeros_like(last))
    clamped = torch.minimum(torch.maximum(times, first), last)
    slopes = torch.cumsum(deltas, dim=-1)  # slope of g after each event
    g_first = _value(y - first, lo, hi, lam).sum(dim=-1, keepdim=True)
    steps = slopes[..., :-1] * torch.diff(clamped, dim=-1)
    g = torch.cat([g_first, g_first + torch.cumsum(steps, dim=-1)], dim=-1)
    before = (deltas * (times == -torch.inf)).sum(dim=-1, keepdim=True)
    after = (deltas * (times != torch.inf)).sum(dim=-1, keepdim=True)
    # inside: the first event where g is at or below the target, the root in the piece before
    k = torch.searchsorted(-g.contiguous(), -target.contiguous(), side="left")
    k = k.clamp(1, g.shape[-1] - 1)
    t0 = torch.gather(clamped, -1, k - 1)
    g0 = torch.gather(g, -1, k - 1)
    s0 = torch.gather(slopes, -1, k - 1)
    inside = torch.where(s0 < 0, t0 + (target - g0) / torch.where(s0 < 0, s0, -1.0), t0)
    tau = torch.where(g0 <= target, t0, inside)
    low = first + (target - g_first) / torch.where(before < 0, before, -1.0)
    high = last + (target - g[..., -1:]) / torch.where(after < 0, after, -1.0)
    tau = torch.where(g_first < target, low, tau)
    return torch.where(g[..., -1:] > target, high, tau)


def project_box_budget(y: Tensor, lo: Tensor, hi: Tensor, budget: float) -> Tensor:
    """Euclidean projection of each row of ``y`` ``(B, n)`` onto ``{lo <= x <= hi, sum(x) = budget}``."""
    target = torch.full((*y.shape[:-1], 1), float(budget), dtype=y.dtype, device=y.device)
    tau = _root(y, lo, hi, target)
    return _value(y - tau, lo, hi, None)


def _with_threshold(y: Tensor, lo: Tensor, hi: Tensor, target: Tensor, lam: Tensor) -> Tensor:
    return _value(y - _root(y, lo, hi, target, lam), lo, hi, lam)


def project(y: Tensor, lo: Tensor, hi: Tensor, budget: float, gross: float | None) -> Tensor:
    """Euclidean projection of each row of ``y`` ``(B, n)`` onto
    ``{lo <= x <= hi, sum(x) = budget, sum(|x|) <= gross}`` (``gross`` ``None``: no cap).

    The result meets the bounds exactly, the budget to rounding and the cap to rounding (the
    bisection keeps the side where the cap holds).
    """
    x = project_box_budget(y, lo, hi, budget)
    if gross is None:
        return x
    over = x.abs().sum(dim=-1, keepdim=True) > gross
    if not bool(over.any()):
        return x
    target = torch.full_like(y[..., :1], float(budget))

    def excess(lam: Tensor) -> tuple[Tensor, Tensor]:
        """Gross exposure over the cap at the threshold ``lam``, and its slope in ``lam``."""
        x_lam = _with_threshold(y, lo, hi, target, lam)
        free = (x_lam > lo) & (x_lam < hi) & (x_lam != 0)
        sign = torch.where(free, torch.sign(x_lam), 0.0).sum(-1, keepdim=True)
        count = free.sum(-1, keepdim=True).to(y.dtype)
        # free weights move as y - tau - lam sign(x) with the budget held: d gross / d lam
        slope = torch.where(count > 0, sign.square() / torch.clamp(count, min=1.0) - count, 0.0)
        return x_lam.abs().sum(-1, keepdim=True) - gross, slope

    a = torch.zeros_like(target)
    fa = x.abs().sum(-1, keepdim=True) - gross
    b = y.abs().amax(dim=-1, keepdim=True) + abs(budget) + 1.0
    fb, sb = excess(b)
    for _ in range(64):  # an upper bracket: a threshold where the cap holds
        up = fb > 0
        if not bool(up.any()):
            break
        a, fa = torch.where(up, b, a), torch.where(up, fb, fa)
        b = torch.where(up, 2 * b, b)
        fb, sb = excess(b)
    tol = _GROSS_TOL * max(1.0, gross)
    c, fc, sc = b, fb, sb
    # the gross exposure is piecewise linear in lam: a Newton step lands on the root once it
    # starts on the root's piece; a step that leaves the bracket bisects instead
    for _ in range(_BISECTIONS):
        if not bool(((fb < -tol) & (fa > tol) & over).any()):
            break
        newton = c - fc / torch.where(sc < 0, sc, -1.0)
        inside = (sc < 0) & (newton > a) & (newton < b)
        c = torch.where(inside, newton, 0.5 * (a + b))
        fc, sc = excess(c)
        holds = fc <= 0
        a, fa = torch.where(holds, a, c), torch.where(holds, fa, fc)
        b, fb = torch.where(holds, c, b), torch.where(holds, fc, fb)
    lam = torch.where(fb >= -tol, b, a)  # (a: over the cap by at most tol)
    return torch.where(over, _with_threshold(y, lo, hi, target, lam), x)


def kl_project_capped_simplex(log_z: Tensor, hi: Tensor, budget: float) -> Tensor:
    """Kullback-Leibler projection of ``z = exp(log_z)`` (rows of ``(B, n)``, any scale) onto
    ``{0 <= x <= hi, sum(x) = budget}``: ``x = min(hi, c z)`` with ``c > 0`` found exactly.

    Requires ``budget > 0`` and ``sum(hi) >= budget``.
    """
    z = torch.exp(log_z - log_z.amax(dim=-1, keepdim=True))
    hi = hi.expand_as(z)
    ratio = hi / z  # c at which each asset reaches its cap
    ratio, order = torch.sort(ratio, dim=-1)
    zs = torch.gather(z, -1, order)
    his = torch.gather(hi, -1, order)
    capped = torch.cumsum(his, dim=-1) - his  # caps of the assets before k (they bind)
    capped = torch.where(torch.isfinite(capped), capped, torch.finfo(z.dtype).max)
    rest = torch.flip(torch.cumsum(torch.flip(zs, [-1]), dim=-1), [-1])  # z of assets k..n
    c = (budget - capped) / rest
    k = torch.argmax((c <= ratio).to(torch.int8), dim=-1, keepdim=True)
    c = torch.gather(c, -1, k)
    return torch.minimum(hi, c * z)
