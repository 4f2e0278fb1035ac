"""Investor views for Black-Litterman: from Python, from P/Q matrices, from TOML or CSV files.

A view says the expected annual return (a fraction: 0.40 = 40 % a year) of one asset
(absolute: "SOL returns 40 %") or of a long-short pair (relative: "ETH beats BTC by 5 %"),
optionally with a confidence in percent (0-100; 0 ignores the view, 100 makes it hold exactly).

Python::

    make_views(assets, absolute={"SOL": 0.40, "BTC": (0.10, 25)},
               relative=[("ETH", "BTC", 0.05), ("SOL", "ETH", 0.10, 50)])
    views_from_matrices(P, Q, assets, confidences=[60, 90])

TOML (see examples/views.toml)::

    [[view]]
    asset = "SOL"        # absolute view
    return = 0.40
    confidence = 60      # percent, optional

    [[view]]
    long = "ETH"         # relative view: ETH minus BTC
    short = "BTC"
    return = 0.05

CSV: a header ``long,short,return,confidence``; ``short`` empty for an absolute view,
``confidence`` optional (empty or the column left out).
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cryptofolio.errors import EstimationError

_TOML_KEYS = {"asset", "long", "short", "return", "confidence"}
_CSV_COLUMNS = ("long", "short", "return", "confidence")


@dataclass(frozen=True)
class View:
    """One view: ``terms`` (asset, coefficient) pairs (a row of ``P``), ``value`` the annual
    return of that combination (fraction), ``confidence`` in percent or ``None``."""

    terms: tuple[tuple[str, float], ...]
    value: float
    confidence: float | None = None
    label: str = ""


def _checked_confidence(value, label: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise EstimationError(f"view {label}: confidence {value!r} is not a number") from None
    if not 0.0 <= c <= 100.0:
        raise EstimationError(
            f"view {label}: confidence {c:g} is outside 0-100 % (a percentage: 60 means 60 %)"
        )
    return c


def _checked_value(value, label: str) -> float:
    try:
        q = float(value)
    except (TypeError, ValueError):
        raise EstimationError(f"view {label}: return {value!r} is not a number") from None
    if not math.isfinite(q):
        raise EstimationError(f"view {label}: return {q} is not finite")
    return q


def absolute_view(asset: str, value: float, confidence: float | None = None) -> View:
    """ "``asset`` returns ``value`` a year"."""
    label = str(asset)
    return View(
        ((label, 1.0),),
        _checked_value(value, label),
        _checked_confidence(confidence, label),
        label,
    )


def relative_view(long: str, short: str, value: float, confidence: float | None = None) -> View:
    """ "``long`` beats ``short`` by ``value`` a year"."""
    label = f"{long} - {short}"
    if long == short:
        raise EstimationError(f"view {label}: a relative view needs two different assets")
    return View(
        ((str(long), 1.0), (str(short), -1.0)),
        _checked_value(value, label),
        _checked_confidence(confidence, label),
        label,
    )


@dataclass(frozen=True)
class Views:
    """A set of views; once :meth:`aligned` to a universe, ``P`` ``(k, n)``, ``Q`` ``(k,)``
    (annual fractions) and ``confidences`` ``(k,)`` (fractions, NaN where not given)."""

    views: tuple[View, ...]
    assets: tuple[str, ...] | None = None

    @property
    def labels(self) -> list[str]:
        return [v.label for v in self.views]

    @property
    def Q(self) -> np.ndarray:
        return np.array([v.value for v in self.views], dtype=float)

    @property
    def P(self) -> np.ndarray:
        if self.assets is None:
            raise EstimationError("views not aligned to a universe yet: call aligned(assets)")
        pos = {a: i for i, a in enumerate(self.assets)}
        P = np.zeros((len(self.views), len(self.assets)))
        for k, v in enumerate(self.views):
            for asset, coef in v.terms:
                P[k, pos[asset]] += coef
        return P

    @property
    def confidences(self) -> np.ndarray:
        return np.array(
            [np.nan if v.confidence is None else v.confidence / 100.0 for v in self.views]
        )

    @property
    def has_confidences(self) -> bool:
        """Whether every view carries a confidence."""
        return bool(self.views) and all(v.confidence is not None for v in self.views)

    def aligned(self, assets: Sequence[str]) -> Views:
        """These views over the universe ``assets``.

        Raises
        ------
        EstimationError
            A view on an asset outside the universe, or views that are linearly dependent:
            contradictory (same combination, different returns) or redundant (singular).
        """
        universe = tuple(assets)
        known = set(universe)
        for v in self.views:
            unknown = [a for a, _ in v.terms if a not in known]
            if unknown:
                raise EstimationError(
                    f"view {v.label}: {', '.join(unknown)} not in the universe "
                    f"({', '.join(universe)}); drop the view or add the asset"
                )
        out = replace(self, assets=universe)
        out._check_independent()
        return out

    def without_ignored(self) -> Views:
        """The views whose confidence is not 0 % (a 0 % view has infinite uncertainty)."""
        return replace(self, views=tuple(v for v in self.views if v.confidence != 0.0))

    def _check_independent(self) -> None:
        P, Q = self.P, self.Q
        for k in range(len(self.views)):
            rank = np.linalg.matrix_rank(P[: k + 1])
            if rank == k + 1:
                continue
            if not P[k].any():
                raise EstimationError(f"view {self.views[k].label} has no asset left (all zero)")
            coef, *_ = np.linalg.lstsq(P[:k].T, P[k], rcond=None)
            others = [self.views[i].label for i in np.flatnonzero(np.abs(coef) > 1e-12)]
            implied = float(coef @ Q[:k])
            kind = (
                "contradicts"
                if abs(implied - Q[k]) > 1e-12 * max(1.0, abs(Q[k]))
                else "repeats (singular views)"
            )
            raise EstimationError(
                f"view {self.views[k].label} ({Q[k]:.4g}) {kind} the view(s) "
                f"{', '.join(others)}, which imply {implied:.4g}; keep one of them"
            )


def make_views(
    assets: Sequence[str] | None = None,
    absolute: Mapping[str, float | tuple[float, float]] | None = None,
    relative: Sequence[tuple] | None = None,
) -> Views:
    """Views from Python: ``absolute`` maps an asset to its annual return or to a pair
    (return, confidence %); ``relative`` holds ``(long, short, return)`` or
    ``(long, short, return, confidence %)``. With ``assets``, aligned to that universe."""
    views = []
    for asset, spec in (absolute or {}).items():
        value, conf = spec if isinstance(spec, tuple) else (spec, None)
        views.append(absolute_view(asset, value, conf))
    for item in relative or ():
        if len(item) not in (3, 4):
            raise EstimationError(
                f"relative view {item!r}: give (long, short, return) or "
                "(long, short, return, confidence %)"
            )
        views.append(relative_view(*item))
    out = Views(tuple(views))
    return out if assets is None else out.aligned(assets)


def views_from_matrices(
    P: np.ndarray,
    Q: np.ndarray,
    assets: Sequence[str],
    confidences: Sequence[float | None] | None = None,
) -> Views:
    """Views from a picking matrix ``P`` ``(k, n)`` over ``assets``, returns ``Q`` ``(k,)``
    (annual fractions) and optional confidences in percent ``(k,)``."""
    P = np.atleast_2d(np.asarray(P, dtype=float))
    Q = np.atleast_1d(np.asarray(Q, dtype=float))
    if P.shape != (len(Q), len(assets)):
        raise EstimationError(
            f"P must have shape (views, assets) = ({len(Q)}, {len(assets)}), got {P.shape}"
        )
    conf = [None] * len(Q) if confidences is None else list(confidences)
    if len(conf) != len(Q):
        raise EstimationError(f"{len(conf)} confidences for {len(Q)} views; give one per view")
    views = []
    for k in range(len(Q)):
        terms = tuple((assets[j], float(P[k, j])) for j in np.flatnonzero(P[k]))
        label = " + ".join(f"{c:g}*{a}" for a, c in terms) or f"row {k}"
        views.append(
            View(terms, _checked_value(Q[k], label), _checked_confidence(conf[k], label), label)
        )
    return Views(tuple(views)).aligned(assets)


def _view_of_record(rec: Mapping, where: str) -> View:
    try:
        return _record_view(rec, where)
    except EstimationError as exc:
        if str(exc).startswith(where):
            raise
        raise EstimationError(f"{where}: {exc}") from None


def _record_view(rec: Mapping, where: str) -> View:
    asset, long, short = rec.get("asset"), rec.get("long"), rec.get("short")
    if "return" not in rec:
        raise EstimationError(f"{where}: no 'return' (annual fraction, e.g. 0.40 for 40 %)")
    if asset and not (long or short):
        return absolute_view(str(asset), rec["return"], rec.get("confidence"))
    if long and not asset:
        if short:
            return relative_view(str(long), str(short), rec["return"], rec.get("confidence"))
        return absolute_view(str(long), rec["return"], rec.get("confidence"))
    raise EstimationError(
        f"{where}: give 'asset' (absolute view) or 'long' and 'short' (relative view)"
    )


def read_views_toml(path: str | Path) -> Views:
    """Views from a TOML file of ``[[view]]`` tables (see the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EstimationError(f"views file {path} not found") from None
    except UnicodeDecodeError as exc:
        raise EstimationError(
            f"views file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise EstimationError(f"views file {path} is not valid TOML: {exc}") from None
    extra = set(data) - {"view"}
    if extra:
        raise EstimationError(
            f"views file {path}: unknown section(s) {', '.join(sorted(extra))}; use [[view]]"
        )
    records = data.get("view", [])
    if not isinstance(records, list) or not records:
        raise EstimationError(f"views file {path} has no [[view]] table")
    views = []
    for i, rec in enumerate(records, start=1):
        unknown = set(rec) - _TOML_KEYS
        if unknown:
            raise EstimationError(
                f"{path}, view {i}: unknown key(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(_TOML_KEYS))}"
            )
        views.append(_view_of_record(rec, f"{path}, view {i}"))
    return Views(tuple(views))


def read_views_csv(path: str | Path) -> Views:
    """Views from a CSV file with the header ``long,short,return[,confidence]``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EstimationError(f"views file {path} not found") from None
    except UnicodeDecodeError as exc:
        raise EstimationError(
            f"views file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    if "long" not in header or "return" not in header or set(header) - set(_CSV_COLUMNS):
        raise EstimationError(
            f"views file {path}: the header must be {','.join(_CSV_COLUMNS)} (confidence "
            f"optional), got {','.join(header) or 'nothing'}"
        )
    views = []
    for line, row in enumerate(reader, start=2):
        rec = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        rec = {k: v for k, v in rec.items() if v != ""}
        views.append(_view_of_record(rec, f"{path}, line {line}"))
    if not views:
        raise EstimationError(f"views file {path} has no views")
    return Views(tuple(views))


def read_views(path: str | Path) -> Views:
    """Views from a ``.toml`` or ``.csv`` file (by its suffix)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return read_views_toml(path)
    if suffix == ".csv":
        return read_views_csv(path)
    raise EstimationError(f"views file {path}: use a .toml or .csv file")
