"""Options shared by the commands that write reports and result files: ``--plotly`` (where an
HTML report takes plotly.js from) and ``--returns-csv`` (the daily returns for quantstats)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cryptofolio.report.html_page import PlotlyJs

PlotlyOpt = Annotated[
    PlotlyJs,
    typer.Option(
        "--plotly",
        help="Where the HTML report takes plotly.js from: inline (in the file, about 4.8 MB; "
        "opens offline) or cdn (a link to plotly's CDN; small file, needs the internet).",
        case_sensitive=False,
    ),
]
ReturnsCsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--returns-csv",
        help="Write the daily returns (fractions, after costs; one column per strategy, "
        "index 'date') as CSV, read by quantstats/empyrical with "
        "pd.read_csv(PATH, index_col='date', parse_dates=True).",
    ),
]
