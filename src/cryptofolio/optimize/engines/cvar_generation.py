"""Exact minimum CVaR by scenario generation (a cutting-plane method on the Rockafellar-Uryasev LP).

The full LP over ``T`` scenarios (variables ``w`` (N), ``a`` (1), ``u`` (T))::

    min  a + c * sum_t u_t,          c = 1 / ((1 - alpha) T)
    s.t. u_t >= L_t(w, a) := -r_t'w - a,   u_t >= 0      (t = 1..T)
         sum w = budget,  lo <= w <= hi

has ``T`` rows and ``N + 1 + T`` columns, but at the optimum only the scenarios of the tail
(about ``(1 - alpha) T`` of them, plus ties) have ``u_t > 0``. :func:`min_cvar_by_generation`
solves the *reduced* LP in which only a working set ``S`` of scenarios has a variable ``u_t`` and
a row, keeping the full weight ``c`` per ``u_t``, and grows ``S`` until the reduced solution
violates no dropped row:

* **Lower bound.** Any feasible ``(w, a, u)`` of the full LP, restricted to ``S``, is feasible
  for the reduced LP with an objective no larger (the dropped terms ``c u_t`` are >= 0); so the
  reduced optimum is <= the full optimum.
* **Optimality test.** If at the reduced optimum ``(w*, a*, u*_S)`` every scenario outside ``S``
  has ``L_t(w*, a*) <= 0``, extending with ``u_t = 0`` gives a feasible point of the full LP with
  the same objective, i.e. one that attains the lower bound: it is optimal for the full LP.
  Otherwise the scenarios with ``L_t > 0`` (the worst of them, in a batch) join ``S`` and the
  reduced LP is re-solved. Each round adds at least one scenario, so the loop ends after at most
  ``T`` rounds (in practice 2-4 for long-only portfolios).
* **Duality certificate.** The reduced LP's multipliers extended by zero for the rows outside
  ``S`` (whose ``u_t`` then keep the reduced cost ``c >= 0``) are dual feasible for the full LP
  with the same dual objective, a lower bound of the full optimum. :func:`verify_full` checks
  this certificate on the full problem (stationarity, signs, gap against the full objective
  ``a + c * sum_t max(L_t, 0)`` evaluated directly) and that the CVaR of the weights computed
  directly from all ``T`` scenarios equals it, all to 1e-7 relative.

The working set starts from the ``1.5 (1 - alpha) T`` worst losses of the equal-weight portfolio
(clipped to the box; only a ranking direction, it need not be feasible). A reduced LP can be
unbounded where the full one is not (weights unbounded, e.g. assets with only an upper bound
next to assets with only a lower one): then every remaining scenario joins and the full LP
decides. With HiGHS's Python bindings (the ``highspy`` package) the reduced LP is kept in one HiGHS instance and each round *adds* the new
rows and columns to it: the previous optimal basis stays dual feasible, so the dual simplex
restarts from it and only a few pivots are needed per round. Without that private module (or if
its interface changed) every round is solved afresh with :func:`scipy.optimize.linprog`.
"""

from __future__ import annotations

import enum
import math
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from cryptofolio.errors import SolverError
from cryptofolio.optimize.measures import historical_cvar

if TYPE_CHECKING:
    from cryptofolio.optimize.problem import Problem

try:  # the HiGHS Python bindings (a declared dependency; linprog when they are missing)
    import highspy as _highs_core
except ImportError:  # pragma: no cover - depends on the installation
    _highs_core = None


def _new_highs():
    """A ``highspy.Highs`` instance, its one-time start-up banner kept off standard output.

    HiGHS prints the banner from C++ when the first instance of a process is made, before any
    option can be set; a command's JSON output must not carry it, so standard output's file
    descriptor points at the null device for that call."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return _highs_core.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


VERIFY_TOL = 1e-7  # relative tolerance of every check of the full-problem certificate
VIOLATION_TOL = 1e-11  # a dropped scenario is violated when L_t > this (scaled returns, <= 1)
INITIAL_TAIL_FACTOR = 1.5  # initial working set: this many times (1 - alpha) T worst losses
BATCH_TAIL_FACTOR = 1.0  # at most this many times (1 - alpha) T (>= 16) new scenarios a round
HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


class Backend(enum.Enum):
    """How the reduced LPs are solved."""

    HOT_START = "highs-hot-start"  # one HiGHS instance, rows added in place, basis kept
    LINPROG = "linprog"  # scipy.optimize.linprog(method="highs-ds") afresh every round


class _Status(enum.Enum):
    OPTIMAL = "optimal"
    UNBOUNDED = "unbounded"
    FAILED = "failed"


@dataclass(frozen=True)
class _LPPoint:
    """A reduced-LP answer; arrays in the column order (w, a, u of the working set in order)."""

    status: _Status
    message: str
    x: np.ndarray | None = None  # primal values
    row_dual: np.ndarray | None = None  # budget row first, then the scenario rows (<= 0)
    col_dual: np.ndarray | None = None  # reduced costs (>= 0 at a lower bound, <= 0 at upper)
    iterations: int = 0


@dataclass(frozen=True)
class CvarSolution:
    """A verified minimum-CVaR portfolio and how the scenario generation reached it.

    Attributes
    ----------
    weights
        Optimal weights (fractions of equity), in the order of the problem's assets.
    cvar
        Its CVaR at level ``alpha``: periodic, in the units of the scenario returns, positive
        for a loss (0.05 = a mean loss of 5 % a period over the worst ``1 - alpha`` tail).
    working_set
        Sorted indices (rows of the scenario matrix) of the scenarios in the final reduced LP.
    rounds
        Number of reduced LPs solved.
    simplex_iterations
        Simplex iterations over all rounds.
    backend
        How the reduced LPs were solved.
    """

    weights: np.ndarray
    cvar: float
    working_set: np.ndarray
    rounds: int
    simplex_iterations: int
    backend: Backend


# ----------------------------------------------------------------------------- reduced LPs


class _HotStartLP:
    """The reduced LP in one HiGHS instance; :meth:`add` appends rows and columns in place.

    Columns: w (n), a (1), then one u per added scenario; rows: the budget, then one row
    ``-r_t'w - a - u_t <= 0`` per added scenario.
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, budget: float, c: float) -> None:
        h = _highs_core
        inf = h.kHighsInf
        n = lo.size
        self._c, self._inf = c, inf
        self._highs = highs = _new_highs()
        for key, value in {
            "output_flag": False,
            "presolve": "off",  # small LP; presolve would also discard the basis between rounds
            "solver": "simplex",
            **HIGHS_OPTIONS,
        }.items():
            self._check(highs.setOptionValue(key, value), f"option {key}")
        lp = h.HighsLp()
        lp.num_col_ = n + 1
        lp.num_row_ = 1
        lp.col_cost_ = np.concatenate([np.zeros(n), [1.0]])
        lp.col_lower_ = np.concatenate([np.where(np.isfinite(lo), lo, -inf), [-inf]])
        lp.col_upper_ = np.concatenate([np.where(np.isfinite(hi), hi, inf), [inf]])
        lp.row_lower_ = np.array([budget], dtype=float)
        lp.row_upper_ = np.array([budget], dtype=float)
        lp.a_matrix_.format_ = h.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = n + 1
        lp.a_matrix_.num_row_ = 1
        lp.a_matrix_.start_ = np.concatenate([np.arange(n + 1), [n]]).astype(np.int32)
        lp.a_matrix_.index_ = np.zeros(n, dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(n)
        self._check(highs.passModel(lp), "passModel")
        self._ncol = n + 1

    def _check(self, status: object, what: str) -> None:
        if status == _highs_core.HighsStatus.kError:
            raise SolverError(f"min-cvar: HiGHS {what} failed", status="highs-error")

    def add(self, rows: np.ndarray) -> None:
        """Append the scenarios whose scaled returns are the rows of ``rows`` (k x n)."""
        k, n = rows.shape
        width = n + 2
        self._check(
            self._highs.addCols(
                k,
                np.full(k, self._c),
                np.zeros(k),
                np.full(k, self._inf),
                0,
                np.zeros(k, dtype=np.int32),
                np.zeros(0, dtype=np.int32),
                np.zeros(0),
            ),
            "addCols",
        )
        values = np.empty((k, width))
        values[:, :n] = -rows
        values[:, n:] = -1.0
        index = np.empty((k, width), dtype=np.int32)
        index[:, : n + 1] = np.arange(n + 1)
        index[:, n + 1] = self._ncol + np.arange(k)
        self._check(
            self._highs.addRows(
                k,
                np.full(k, -self._inf),
                np.zeros(k),
                k * width,
                (np.arange(k) * width).astype(np.int32),
                index.ravel(),
                values.ravel(),
            ),
            "addRows",
        )
        self._ncol += k

    def solve(self) -> _LPPoint:
        h = _highs_core
        highs = self._highs
        highs.run()
        status = highs.getModelStatus()
        iterations = int(highs.getInfo().simplex_iteration_count)
        message = highs.modelStatusToString(status)
        if status == h.HighsModelStatus.kOptimal:
            sol = highs.getSolution()
            return _LPPoint(
                _Status.OPTIMAL,
                message,
                np.asarray(sol.col_value, dtype=float),
                np.asarray(sol.row_dual, dtype=float),
                np.asarray(sol.col_dual, dtype=float),
                iterations,
            )
        unbounded = (h.HighsModelStatus.kUnbounded, h.HighsModelStatus.kUnboundedOrInfeasible)
        kind = _Status.UNBOUNDED if status in unbounded else _Status.FAILED
        return _LPPoint(kind, message, iterations=iterations)


class _LinprogLP:
    """The reduced LP rebuilt and solved afresh by :func:`scipy.optimize.linprog` each round."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, budget: float, c: float) -> None:
        self._lo, self._hi, self._budget, self._c = lo, hi, budget, c
        self._rows: list[np.ndarray] = []

    def add(self, rows: np.ndarray) -> None:
        self._rows.append(rows)

    def solve(self) -> _LPPoint:
        from scipy.optimize import linprog

        Rw = np.vstack(self._rows)
        m, n = Rw.shape
        c = np.concatenate([np.zeros(n), [1.0], np.full(m, self._c)])
        A_ub = sp.hstack(
            [sp.csr_matrix(-Rw), sp.csr_matrix(-np.ones((m, 1))), -sp.identity(m, format="csr")],
            format="csc",
        )
        A_eq = sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(1 + m)])[None, :])
        lb = np.concatenate([self._lo, [-np.inf], np.zeros(m)])
        ub = np.concatenate([self._hi, [np.inf], np.full(m, np.inf)])
        res = linprog(
            c,
            A_ub=A_ub,
            b_ub=np.zeros(m),
            A_eq=A_eq,
            b_eq=[self._budget],
            bounds=np.column_stack([lb, ub]),
            method="highs-ds",
            options=dict(HIGHS_OPTIONS),
        )
        iterations = int(getattr(res, "nit", 0) or 0)
        if res.status == 0:
            return _LPPoint(
                _Status.OPTIMAL,
                res.message,
                np.asarray(res.x, dtype=float),
                np.concatenate([res.eqlin.marginals, res.ineqlin.marginals]),
                np.asarray(res.lower.marginals + res.upper.marginals, dtype=float),
                iterations,
            )
        kind = _Status.UNBOUNDED if res.status == 3 else _Status.FAILED
        return _LPPoint(kind, res.message, iterations=iterations)


# ----------------------------------------------------------------------------- certificate


def verify_full(
    pb: Problem, Rs: np.ndarray, alpha: float, order: np.ndarray, point: _LPPoint
) -> tuple[dict[str, float], float]:
    """Check a reduced-LP optimum as a solution of the FULL LP over all scenarios.

    Parameters
    ----------
    pb
        The problem (bounds and budget).
    Rs
        All ``T`` scenarios (T x n), scaled so that max |Rs| = 1.
    alpha
        CVaR level.
    order
        Scenario index of each reduced-LP row/``u`` column, in the LP's order.
    point
        The reduced LP's optimal primal and dual values.

    Returns
    -------
    residuals : dict
        Dimensionless, relative to ``max(1, |objective|)`` in scaled units:
        ``primal_feasibility`` (bounds and budget of ``w``), ``stationarity``, ``dual_sign``,
        ``gap`` (full objective ``a + c sum max(L_t, 0)`` at the point minus the dual
        objective of the multipliers extended by zero), ``cvar_of_weights`` (full objective
        minus the CVaR of ``w`` computed directly from all ``T`` scenarios).
    cvar : float
        That direct CVaR of ``w`` (in the units of ``Rs``).
    """
    n, T = pb.n, Rs.shape[0]
    lo, hi, budget = pb.box.lo, pb.box.hi, pb.box.budget
    c = 1.0 / ((1 - alpha) * T)
    x, rd, cd = point.x, point.row_dual, point.col_dual
    w, a = x[:n], float(x[n])
    nu = float(rd[0])
    y = np.zeros(T)  # multipliers of all T scenario rows, 0 outside the working set
    y[order] = rd[1:]
    d_u = np.full(T, c)  # reduced cost of every u_t: c - (-1) y_t, = c outside the working set
    d_u[order] = cd[n + 1 :]
    d_w, d_a = cd[:n], float(cd[n])
    # stationarity of the full LP: cost - A'(multipliers) - reduced costs = 0, column by column
    res_w = Rs.T @ y - nu - d_w
    res_a = 1.0 + float(y.sum()) - d_a
    res_u = c + y - d_u
    stationarity = max(float(np.max(np.abs(res_w))), abs(res_a), float(np.max(np.abs(res_u))))
    # signs: rows "<=" have y <= 0; a reduced cost may be > 0 only at a finite lower bound and
    # < 0 only at a finite upper bound (a is free, u_t >= 0)
    dual_sign = max(
        float(np.max(y, initial=0.0)),
        float(np.max(-d_u, initial=0.0)),
        abs(d_a),
        float(np.max(np.where(np.isfinite(lo), 0.0, d_w), initial=0.0)),
        float(np.max(np.where(np.isfinite(hi), 0.0, -d_w), initial=0.0)),
    )
    dual = (
        nu * budget
        + float(np.sum(np.where(d_w > 0, d_w * np.where(np.isfinite(lo), lo, 0.0), 0.0)))
        + float(np.sum(np.where(d_w < 0, d_w * np.where(np.isfinite(hi), hi, 0.0), 0.0)))
    )
    loss = -(Rs @ w)
    primal = a + c * float(np.sum(np.maximum(loss - a, 0.0)))
    direct = historical_cvar(w, Rs, alpha)
    scale = max(1.0, abs(primal))
    feas = max(
        float(np.max(lo - w, initial=0.0)),
        float(np.max(w - hi, initial=0.0)),
        abs(float(w.sum()) - budget),
    )
    residuals = {
        "primal_feasibility": feas / max(1.0, float(np.max(np.abs(w), initial=0.0))),
        "stationarity": stationarity,
        "dual_sign": dual_sign,
        "gap": abs(primal - dual) / scale,
        "cvar_of_weights": abs(primal - direct) / scale,
    }
    return residuals, direct


# ----------------------------------------------------------------------------- generation


def min_cvar_by_generation(
    pb: Problem, R: np.ndarray, alpha: float, *, backend: Backend | None = None
) -> CvarSolution:
    """Minimum-CVaR portfolio (box + budget) by scenario generation, verified on the full LP.

    Parameters
    ----------
    pb
        The problem: bounds ``pb.box.lo``/``pb.box.hi`` (each asset needs a finite bound for the
        LP to be bounded in general) and budget ``pb.box.budget``; the L2 penalty and the
        gross-exposure cap are not part of this LP (the caller handles them).
    R
        Periodic scenario returns (T x n, fractions, no NaN), columns in the order of
        ``pb.assets``.
    alpha
        CVaR level in (0, 1) (0.95: the mean of the worst 5 % losses).
    backend
        Force how the reduced LPs are solved; default :attr:`Backend.HOT_START` when highspy
        exposes HiGHS, else :attr:`Backend.LINPROG`.

    Returns
    -------
    CvarSolution
        The weights, their CVaR (periodic, units of ``R``, positive = loss), the final working
        set and the work done.

    Raises
    ------
    SolverError
        A reduced LP failed (status from HiGHS), the full problem is unbounded, or the answer
        does not verify on the full problem (``status="unverified"``).
    """
    backend = _backend(backend)
    n, T = pb.n, R.shape[0]
    box = pb.box
    rs = max(float(np.max(np.abs(R))), 1e-300)
    Rs = R / rs
    c = 1.0 / ((1 - alpha) * T)
    batch = max(math.ceil(BATCH_TAIL_FACTOR * (1 - alpha) * T), 16)
    order = _initial_working_set(pb, Rs, alpha)
    in_set = np.zeros(T, dtype=bool)
    in_set[order] = True
    lp_type = _HotStartLP if backend is Backend.HOT_START else _LinprogLP
    lp = lp_type(box.lo, box.hi, box.budget, c)
    lp.add(Rs[order])
    iterations = rounds = 0
    while True:  # each round adds >= 1 scenario: ends within T + 1 rounds
        rounds += 1
        point = lp.solve()
        iterations += point.iterations
        if point.status is _Status.UNBOUNDED and order.size < T:
            # unbounded relaxation (possible when the weights themselves are unbounded): the
            # full LP decides
            new = np.flatnonzero(~in_set)
        elif point.status is not _Status.OPTIMAL:
            raise SolverError(
                f"min-cvar LP (HiGHS, {order.size} of {T} scenarios) failed: {point.message}",
                status=point.status.value,
            )
        else:
            w, a = point.x[:n], float(point.x[n])
            viol = -(Rs @ w) - a
            viol[in_set] = -np.inf
            new = np.flatnonzero(viol > VIOLATION_TOL)
            if new.size == 0:
                break
            if new.size > batch:
                new = new[np.argpartition(-viol[new], batch - 1)[:batch]]
        lp.add(Rs[new])
        order = np.concatenate([order, new])
        in_set[new] = True
    cvar = _verified_cvar(pb, Rs, alpha, order, point)
    return CvarSolution(
        weights=point.x[:n].copy(),
        cvar=cvar * rs,
        working_set=np.sort(order),
        rounds=rounds,
        simplex_iterations=iterations,
        backend=backend,
    )


def _backend(backend: Backend | None) -> Backend:
    if backend is None:
        return Backend.HOT_START if _highs_core is not None else Backend.LINPROG
    if backend is Backend.HOT_START and _highs_core is None:
        raise SolverError(
            "min-cvar: the highspy package is not installed; use Backend.LINPROG",
            status="unavailable",
        )
    return backend


def _initial_working_set(pb: Problem, Rs: np.ndarray, alpha: float) -> np.ndarray:
    """The scenarios of the worst losses of the equal-weight portfolio (clipped to the box)."""
    n, T = pb.n, Rs.shape[0]
    box = pb.box
    tail = (1 - alpha) * T
    # the reduced LP is bounded in ``a`` only with more than (1 - alpha) T scenarios
    k0 = min(T, max(math.ceil(INITIAL_TAIL_FACTOR * tail), math.floor(tail) + 1))
    scale = box.budget if box.budget != 0 else 1.0
    ranking = np.clip(np.full(n, scale / n), box.lo, box.hi)
    loss0 = -(Rs @ ranking)
    return np.argpartition(-loss0, k0 - 1)[:k0] if k0 < T else np.arange(T)


def _verified_cvar(
    pb: Problem, Rs: np.ndarray, alpha: float, order: np.ndarray, point: _LPPoint
) -> float:
    """The direct CVaR of the reduced LP's weights once the full-problem certificate holds."""
    errs, cvar = verify_full(pb, Rs, alpha, order, point)
    bad = {key: value for key, value in errs.items() if not value <= VERIFY_TOL}
    if bad:
        detail = ", ".join(f"{key}={value:.1e}" for key, value in bad.items())
        raise SolverError(
            f"the min-cvar solution ({order.size} of {Rs.shape[0]} scenarios generated) does "
            f"not verify on the full problem: {detail}",
            status="unverified",
        )
    return cvar


def solve_min_cvar(pb: Problem, R: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Minimum-CVaR weights by scenario generation; verified on the full LP.

    Parameters
    ----------
    pb
        The problem (box + budget; no L2, no costs).
    R
        Periodic scenario returns (T x n, fractions), columns in the order of ``pb.assets``.
    alpha
        CVaR level in (0, 1).

    Returns
    -------
    tuple
        ``(w, cvar)``: the weights and their CVaR (periodic, units of ``R``, positive = loss).

    Raises
    ------
    SolverError
        The solver failed or the solution does not verify on the full problem.
    """
    try:
        sol = min_cvar_by_generation(pb, R, alpha)
    except (AttributeError, TypeError):
        if _highs_core is None:
            raise
        # the highspy interface differs from the one this module was written for
        sol = min_cvar_by_generation(pb, R, alpha, backend=Backend.LINPROG)
    return sol.weights, sol.cvar


__all__ = ["Backend", "CvarSolution", "min_cvar_by_generation", "solve_min_cvar"]
