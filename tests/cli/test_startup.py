"""The command line starts without the library: ``import cryptofolio.cli`` and the root
``--help`` import no heavy module; each command is imported when it runs, and the summaries the
root help shows are the first paragraph of each command's help."""

from __future__ import annotations

import inspect
import subprocess
import sys

import typer
from typer.testing import CliRunner

from cryptofolio import __version__
from cryptofolio.cli import COMMANDS, app

HEAVY = ("pandas", "numpy", "scipy", "cvxpy", "ccxt", "torch", "plotly", "matplotlib")


def _imported_by(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\nprint('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("HEAVY="), done.stdout
    return [m for m in line.removeprefix("HEAVY=").split(",") if m]


def test_importing_the_cli_imports_no_heavy_module():
    assert _imported_by("import cryptofolio.cli") == []


def test_the_root_help_and_version_import_no_heavy_module():
    run = (
        "from typer.testing import CliRunner\nfrom cryptofolio.cli import app\n"
        "for args in (['--help'], ['--version']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
    )
    assert _imported_by(run) == []


def test_the_summaries_are_the_commands_first_help_paragraph():
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    assert root.list_commands(ctx) == [c.name for c in COMMANDS]
    for spec in COMMANDS:
        command = root.get_command(ctx, spec.name)
        text = command.short_help or command.help or ""
        assert inspect.cleandoc(text).split("\n\n")[0].strip() == spec.summary, spec.name


def test_the_root_help_lists_every_command_and_a_command_still_runs():
    runner = CliRunner()
    text = runner.invoke(app, ["--help"]).output
    for spec in COMMANDS:
        assert f" {spec.name} " in text
    assert "--install-completion" in text  # shell completion is on
    assert runner.invoke(app, ["--version"]).output.strip() == f"cryptofolio {__version__}"
    assert runner.invoke(app, ["data", "list", "--format", "json"]).exit_code == 0
    wrong = runner.invoke(app, ["optimise"])
    assert wrong.exit_code == 2 and "No such command 'optimise'" in wrong.output
