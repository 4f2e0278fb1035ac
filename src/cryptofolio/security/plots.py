"""Deprecated: the screen's pictures live in :mod:`cryptofolio.report.security_plots` (the
report stage draws; the security stage screens). The old names still work here, each with a
:class:`DeprecationWarning` naming its successor; nothing is imported until one is used."""

from __future__ import annotations

import warnings
from typing import Any

_MOVED = (
    "ScatterColour",
    "plot_residual_history",
    "plot_security_scatter",
    "scatter_html_fragment",
    "security_report_html",
)
_SUCCESSOR = "cryptofolio.report.security_plots"


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"cryptofolio.security.plots.{name} is deprecated; use {_SUCCESSOR}.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    from cryptofolio.report import security_plots

    return getattr(security_plots, name)


def __dir__() -> list[str]:
    return sorted(_MOVED)
