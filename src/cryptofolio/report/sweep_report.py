"""Pictures and the HTML section of a parameter sweep.

* :func:`plot_sweep_heatmap`: a matplotlib heatmap of a statistic (out-of-sample Sharpe by
  default) over two swept parameters; where other parameters vary too, each cell is the mean
  over them (the title says so).
* :func:`sweep_section_html` / :func:`write_sweep_report`: the sweep section of the HTML report
  (verdict, overfitting statistics, table of every configuration, in-sample against
  out-of-sample Sharpe, the CSCV logits and the heatmap), self-contained with plotly.js inlined.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cryptofolio.atomic_files import atomic_write_text
from cryptofolio.errors import CryptofolioError
from cryptofolio.report.html_page import PlotlyJs, figure_sections
from cryptofolio.report.plots import save_figure

if TYPE_CHECKING:
    from cryptofolio.backtest.sweep import SweepResult

_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px auto;
       max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.8em;
       border-bottom: 1px solid #ddd; padding-bottom: 4px; }
div.scroll { overflow-x: auto; max-height: 600px; overflow-y: auto; }
table.sweep { border-collapse: collapse; font-size: 0.82em; }
table.sweep th, table.sweep td { padding: 3px 9px; border-bottom: 1px solid #eee;
       text-align: right; white-space: nowrap; }
table.sweep thead th { background: #f5f5f5; position: sticky; top: 0; }
p.verdict { font-size: 1.05em; line-height: 1.5; padding: 10px 14px; border-left: 4px solid #888; }
p.luck { border-color: #b00020; background: #fff4f4; } p.edge { border-color: #1b7f3b; }
.note { color: #666; font-size: 0.85em; }
"""


def heatmap_grid(
    result: SweepResult, x: str, y: str, value: str = "oos_sharpe"
) -> tuple[pd.DataFrame, bool]:
    """The ``value`` column of the configurations as a ``y x x`` table (mean over the other
    swept parameters) and whether any were averaged.

    Raises
    ------
    CryptofolioError
        ``x`` or ``y`` is not a swept parameter (the swept ones are named), or they are equal.
    """
    swept = result.swept
    for name in (x, y):
        if name not in swept:
            raise CryptofolioError(
                f"heatmap parameter {name!r} was not swept; choose two of: {', '.join(swept)}"
            )
    if x == y:
        raise CryptofolioError("the heatmap needs two different parameters")
    table = result.configurations
    grid = table.pivot_table(index=y, columns=x, values=value, aggfunc="mean", sort=False)
    order = dict(result.spec.grid)
    grid = grid.reindex(index=[v for v in order[y] if v in grid.index])
    grid = grid.reindex(columns=[v for v in order[x] if v in grid.columns])
    averaged = len(table) > grid.notna().to_numpy().sum()
    return grid, averaged


def plot_sweep_heatmap(
    result: SweepResult,
    x: str,
    y: str,
    path: str | Path | None = None,
    value: str = "oos_sharpe",
) -> Figure:
    """Heatmap of ``value`` (annualised out-of-sample Sharpe by default) over the swept
    parameters ``x`` (columns) and ``y`` (rows); saved as PNG at ``path`` when given."""
    grid, averaged = heatmap_grid(result, x, y, value)
    data = grid.to_numpy(dtype=float)
    fig = Figure(figsize=(1.2 + 1.1 * max(3, data.shape[1]), 1.2 + 0.6 * max(3, data.shape[0])))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    finite = data[np.isfinite(data)]
    bound = float(np.max(np.abs(finite))) if finite.size else 1.0
    image = ax.imshow(data, cmap="RdYlGn", vmin=-bound, vmax=bound, aspect="auto")
    ax.set_xticks(range(data.shape[1]), [str(c) for c in grid.columns], rotation=30, ha="right")
    ax.set_yticks(range(data.shape[0]), [str(i) for i in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for (i, k), v in np.ndenumerate(data):
        if np.isfinite(v):
            ax.text(k, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    label = value.replace("_", " ")
    title = f"{label} (annualised)" if "sharpe" in value else label
    if averaged:
        title += "\nmean over the other swept parameters"
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.set_layout_engine("constrained")
    if path is not None:
        save_figure(fig, path)
    return fig


def _cell(value: object, digits: int = 2) -> str:
    if isinstance(value, str):
        return html.escape(value)
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not np.isfinite(v):
        return "–"
    return f"{v:.0f}" if float(v).is_integer() and abs(v) > 1 else f"{v:,.{digits}f}"


def _table_html(result: SweepResult) -> str:
    cols = [
        *result.swept,
        "sharpe",
        "is_sharpe",
        "oos_sharpe",
        "oos_rank",
        "psr",
        "dsr",
        "times_selected",
        "turnover",
        "costs",
    ]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["#", *cols])
    rows = []
    for k, (_, row) in enumerate(result.configurations.iterrows(), start=1):
        cells = "".join(f"<td>{_cell(row[c])}</td>" for c in cols)
        rows.append(f"<tr><td>{k}</td>{cells}</tr>")
    for _, row in result.failed.iterrows():
        cells = "".join(f"<td>{_cell(row[c])}</td>" for c in result.swept)
        rows.append(
            f"<tr><td>failed</td>{cells}<td colspan='{len(cols) - len(result.swept)}' "
            f"style='text-align:left'>{html.escape(str(row['error']))}</td></tr>"
        )
    return (
        f"<div class='scroll'><table class='sweep'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _figures(result: SweepResult) -> list[tuple[str, go.Figure]]:
    table = result.configurations
    labels = [", ".join(f"{p}={row[p]}" for p in result.swept) for _, row in table.iterrows()]
    scatter = go.Figure(
        go.Scatter(
            x=table["is_sharpe"],
            y=table["oos_sharpe"],
            mode="markers",
            text=labels,
            hovertemplate="%{text}<br>IS %{x:.2f} · OOS %{y:.2f}<extra></extra>",
        )
    )
    scatter.update_layout(
        xaxis_title="in-sample Sharpe (mean over splits)",
        yaxis_title="out-of-sample Sharpe (mean over splits)",
    )
    out = [("In-sample against out-of-sample Sharpe", scatter)]
    j = result.judgement
    if j is not None and j.overfitting is not None:
        hist = go.Figure(go.Histogram(x=j.overfitting.logits, nbinsx=40))
        hist.add_vline(x=0, line_dash="dash", line_color="#b00020")
        hist.update_layout(
            xaxis_title="logit λ of the in-sample winner's out-of-sample rank (≤ 0: overfit)",
            yaxis_title="CSCV splits",
        )
        out.append(("CSCV logits (PBO = share at or left of 0)", hist))
    if len(result.swept) >= 2:
        x, y = result.swept[0], result.swept[1]
        grid, averaged = heatmap_grid(result, x, y)
        heat = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(dtype=float),
                x=[str(c) for c in grid.columns],
                y=[str(i) for i in grid.index],
                colorscale="RdYlGn",
                zmid=0,
                texttemplate="%{z:.2f}",
            )
        )
        heat.update_layout(xaxis_title=x, yaxis_title=y)
        note = " (mean over the other parameters)" if averaged else ""
        out.append((f"Out-of-sample Sharpe over {x} and {y}{note}", heat))
    return out


def sweep_section_html(
    result: SweepResult, include_plotlyjs: bool = True, plotly: PlotlyJs = PlotlyJs.INLINE
) -> str:
    """The sweep section (an HTML fragment): verdict, statistics, figures, configurations;
    plotly.js with the first figure (``plotly``: inline or a CDN link) if ``include_plotlyjs``."""
    j = result.judgement
    verdict_class = "edge" if result.distinguishable_from_luck else "luck"
    summary = ""
    if j is not None:
        v = result.spec.validation
        summary = (
            f"<p class='note'>{len(result.configurations)} configurations ran "
            f"({len(result.failed)} failed) on {len(result.index)} common rows; validation "
            f"{v.method.value} with {v.folds} {'groups' if v.method.value == 'cpcv' else 'folds'}"
            f", purge {j.purge} and embargo {j.embargo} rows; PBO by CSCV with "
            f"{v.cscv_blocks} blocks. Sharpe ratios annualised with {result.periods_per_year:g} "
            "periods a year, after costs. DSR: Bailey &amp; López de Prado (2014); PBO: Bailey, "
            "Borwein, López de Prado &amp; Zhu (2017); CPCV: López de Prado (2018).</p>"
        )
    parts = [
        "<h2>Parameter sweep</h2>",
        f"<p class='verdict {verdict_class}'>{html.escape(result.verdict)}</p>",
        summary,
    ]
    parts.append(
        figure_sections(
            _figures(result),
            plotly,
            heading="h3",
            include_plotlyjs=include_plotlyjs,
            margin_top=40,
        )
    )
    parts.append(f"<h3>Every configuration</h3>{_table_html(result)}")
    return "".join(parts)


def write_sweep_report(
    result: SweepResult,
    path: str | Path,
    title: str = "Parameter sweep",
    plotly: PlotlyJs = PlotlyJs.INLINE,
) -> Path:
    """Write a self-contained HTML page with the sweep section to ``path`` (plotly.js once:
    inline, or a CDN link with ``plotly="cdn"``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{sweep_section_html(result, plotly=plotly)}</body></html>"
    )
    atomic_write_text(path, page)
    return path
