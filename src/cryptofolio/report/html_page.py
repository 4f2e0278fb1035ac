"""What every HTML report shares: where plotly.js comes from, and figures as HTML fragments.

plotly.js (about 4.8 MB) is written once per page, by the first figure: ``inline`` (the
default) puts it in the file, so the report opens offline; ``cdn`` writes a ``<script src>``
to plotly's CDN instead (a file of a few hundred kB that needs the internet to draw).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

FIGURE_CONFIG = {"displaylogo": False, "responsive": True}


class PlotlyJs(StrEnum):
    """Where a report takes plotly.js from (``--plotly`` on the commands that write reports)."""

    INLINE = "inline"  # in the file: opens offline, about 4.8 MB more
    CDN = "cdn"  # a <script src> to plotly's CDN: small file, needs the internet to draw


def figure_sections(
    figures: Sequence[tuple[str, go.Figure]],
    plotly: PlotlyJs | str = PlotlyJs.INLINE,
    *,
    heading: str = "h2",
    include_plotlyjs: bool = True,
    margin_top: int = 60,
) -> str:
    """``<hN>heading</hN>`` + the figure's div for each ``(heading, figure)``; plotly.js comes
    with the first figure only (none when ``include_plotlyjs`` is False: the page has it)."""
    mode: bool | str = "cdn" if PlotlyJs(plotly) is PlotlyJs.CDN else True
    parts = []
    for k, (title, fig) in enumerate(figures):
        fig.update_layout(
            template="plotly_white", margin={"l": 60, "r": 20, "t": margin_top, "b": 40}
        )
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=mode if include_plotlyjs and k == 0 else False,
            config=FIGURE_CONFIG,
        )
        parts.append(f"<{heading}>{html.escape(title)}</{heading}>{div}")
    return "".join(parts)
