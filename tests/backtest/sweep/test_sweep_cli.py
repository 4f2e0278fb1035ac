"""``cryptofolio sweep`` end to end on a small slice of the bundled data, and its bad input."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from cryptofolio.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).parents[3] / "examples" / "sweep.toml"
BASE = [
    "sweep",
    "--assets",
    "BTC,ETH,LTC",
    "--start",
    "2021-01-01",
    "--end",
    "2021-12-31",
    "--folds",
    "3",
    "--cscv-blocks",
    "4",
]
GRID = ["--param", "lookback=30,60", "--param", "objective=min-variance,equal-weight"]


def test_json_table_heatmap_report_and_store(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            *BASE,
            *GRID,
            "--format",
            "json",
            "--output-dir",
            str(out),
            "--heatmap",
            str(tmp_path / "heat.png"),
            "lookback",
            "objective",
            "--report",
            str(tmp_path / "sweep.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["n_configurations"] == 4 and doc["swept"] == ["lookback", "objective"]
    for row in doc["configurations"]:
        assert {"is_sharpe", "oos_sharpe", "dsr", "oos_rank"} <= set(row)
    assert 0.0 <= doc["pbo"] <= 1.0
    assert isinstance(doc["verdict"], str) and "luck" in doc["verdict"]
    assert (tmp_path / "heat.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "sweep.html").read_text()
    assert "Parameter sweep" in page and "CSCV" in page
    assert len(list((out / "runs").glob("*.json"))) == 4
    assert json.loads((out / "sweep_result.json").read_text())["pbo"] == doc["pbo"]
    # --resume runs nothing again and gives the same figures; the table names the params
    again = runner.invoke(app, [*BASE, *GRID, "--resume", str(out)])
    assert again.exit_code == 0, again.output
    assert "min-variance" in again.stdout and "distinguishable from luck" in again.stdout


def test_unknown_parameter_lists_the_valid_ones():
    result = runner.invoke(app, [*BASE, "--param", "gamma=0.1,1"])
    assert result.exit_code == 2
    assert "unknown sweep parameter 'gamma'" in result.output
    assert "l2" in result.output and "max_weight" in result.output


def test_empty_grid():
    result = runner.invoke(app, BASE)
    assert result.exit_code == 2 and "grid is empty" in result.output


def test_grid_file_and_heatmap_of_an_unswept_parameter(tmp_path):
    result = runner.invoke(
        app,
        [
            *BASE,
            "--grid",
            str(EXAMPLE),
            "--heatmap",
            str(tmp_path / "h.png"),
            "lookback",
            "fee_bps",
        ],
    )
    assert result.exit_code == 2
    assert "'fee_bps' is not swept" in result.output and "max_weight" in result.output


def test_a_grid_too_large_for_the_time_asked_needs_yes(tmp_path):
    args = [*BASE, *GRID, "--max-minutes", "0"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "pass --yes" in refused.output and "4 configurations" in refused.output
    assert runner.invoke(app, [*args, "--yes", "--format", "json"]).exit_code == 0


def test_unreachable_dask_scheduler(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [*BASE, *GRID, "--dask-timeout", "1", "--output-dir", str(out)],
        env={"CRYPTOFOLIO_DASK_SCHEDULER": f"tcp://127.0.0.1:{port}"},
    )
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
    assert not out.exists()


def test_resume_needs_a_kept_sweep(tmp_path):
    result = runner.invoke(app, [*BASE, *GRID, "--resume", str(tmp_path)])
    # (the console wraps long paths: compare with the line breaks taken out)
    assert result.exit_code == 2 and "no sweep kept there" in " ".join(result.output.split())
