"""Every documented command runs (issue 21): each example of README.md, walked start to finish
(the quickstart's ``make demo``, the command-line section in order, the library snippet), and
each ``Examples:`` line of every command's ``--help``, run through the CLI on the bundled data.

The examples are extracted from the README and from the help texts, never listed here, so an
example added later is run too. What the test changes is listed below, each with its reason:

* :data:`SMALLER`: sizes shrunk so the suite stays fast (epochs, network sizes, the sweep grid);
* :data:`SKIPPED`: examples that cannot run offline;
* :data:`SAME_RUN`: help examples that are a README step's command (defaults spelled out);
* commands that talk to the network are replayed: ``data fetch`` from the recorded payloads of
  ``tests/fixtures/sources``, ``rebalance --exchange`` against the fake exchange of
  ``tests/trade/tr_fake_exchange.py`` (``--execute`` answered "y" at the confirmation);
* files an example names as the user's own (``my_prices.csv``) are written from the bundled
  data; the repository's ``examples/`` folder is there as in a checkout.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import typer
from typer.testing import CliRunner

from cryptofolio.cli import app

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"

#: (text in the example, replacement, why): applied to every example containing the text.
SMALLER: tuple[tuple[str, str, str], ...] = (
    ("--epochs 20", "--epochs 1 --hidden 8 --stride 8", "training size: one small epoch"),
    ("--epochs 10", "--epochs 1 --hidden 8 --stride 8", "training size: one small epoch"),
    ("--resample 500", "--resample 50", "50 resampled frontiers show the same code path"),
)
#: examples/sweep.toml in the example's folder: the same keys, two values per parameter.
SMALL_GRID = """\
[grid]
objective = ["min-variance", "equal-weight"]
lookback = [90, 180]
l2 = [0.0, 1.0]

[validation]
method = "walk-forward"
folds = 3
cscv_blocks = 4
"""
#: text in the example -> why it is not run.
SKIPPED: dict[str, str] = {
    "--dask tcp://scheduler:8786": "needs a running Dask scheduler at that address",
}
#: never run, should an example ever show them (not a skip of a present example): they write
#: outside the test's folder
NEVER_RUN = ("--install-completion",)  # the user's shell start-up file
#: help example -> the README step that runs the same command (its defaults spelled out): run
#: there once (the demo takes half a minute).
SAME_RUN: dict[str, str] = {
    "cryptofolio demo": "cryptofolio demo",
    "cryptofolio demo --output-dir demo-output": "cryptofolio demo",
}
#: options whose value is a file or folder the command writes.
WRITES = ("--plot", "--report", "--output-dir", "--model-dir", "--residual-plot", "--heatmap")


# -- extraction ----------------------------------------------------------------------------------


def command_lines(text: str) -> list[str]:
    """The ``cryptofolio ...`` lines of ``text``, continuation lines joined, comments dropped."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip().startswith("cryptofolio "):
            out.append(shlex.join(shlex.split(line, comments=True)))
    return out


def readme_walk() -> list[str]:
    """README.md start to finish: ``make demo`` (the Makefile's demo recipe), then every
    ``bash`` block's commands in order; the ``python`` blocks as ``python:`` steps."""
    text = (REPO / "README.md").read_text()
    recipe = re.search(r"^demo:.*\n\t(.+)$", (REPO / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has no demo recipe"
    steps = []
    for lang, block in re.findall(r"```(\w+)\n(.*?)```", text, re.S):
        if lang == "bash":
            for line in block.splitlines():
                if line.strip().startswith("make demo"):
                    steps.extend(command_lines(recipe.group(1).replace("$(BIN)/", "")))
            steps.extend(command_lines(block))
        elif lang == "python":
            steps.append("python:" + block)
    return steps


def help_examples() -> dict[str, list[str]]:
    """Each top-level command's help examples (its subcommands' included), in help order."""
    root = typer.main.get_command(app)
    found: dict[str, list[str]] = {"cryptofolio": command_lines(root.help or "")}

    def subcommands(group) -> list:  # commands are loaded when asked for (start-up time)
        if not hasattr(group, "list_commands"):
            return []
        context = typer.Context(group)
        return [group.get_command(context, name) for name in group.list_commands(context)]

    def walk(command, group: str) -> None:
        found.setdefault(group, []).extend(command_lines(command.help or ""))
        for sub in subcommands(command):
            walk(sub, group)

    for command in subcommands(root):
        walk(command, command.name)
    return {group: lines for group, lines in found.items() if lines}


HELP = help_examples()
HELP_LINES = [example for lines in HELP.values() for example in lines]
README = readme_walk()


# -- running -------------------------------------------------------------------------------------


def _test_module(name: str, folder: str) -> ModuleType:
    """A helper module of another test folder (imported once, shared with that folder)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def shrunk(example: str) -> str:
    for text, replacement, _why in SMALLER:
        example = example.replace(text, replacement)
    return example


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder like a checkout (examples/ present, examples/sweep.toml small), with a user's
    price file, the local store and the key file inside it; commands run from there."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "examples" / "sweep.toml").write_text(SMALL_GRID)
    from cryptofolio.data import load_dataset, to_panels

    close = to_panels(load_dataset("coingecko-daily", symbols=["BTC", "ETH", "SOL"])).close
    close.loc["2021-01-01":].to_csv(tmp_path / "my_prices.csv", index_label="date")
    monkeypatch.setenv("CRYPTOFOLIO_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("CRYPTOFOLIO_KEYS_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def replays(monkeypatch):
    """The network, replayed: market-data sources and exchange accounts."""
    from cryptofolio.data import sources
    from cryptofolio.data.sources import CcxtSource, CryptoCompareSource

    replay = _test_module("sources_replay", "sources")
    klines = replay.load_fixture("binance_klines.json")
    servers = {"binance": replay.BinanceReplay(klines), "bybit": replay.BybitReplay(klines)}

    def make_source(name, *, quote=None, exchange_options=None):
        if name == "cryptocompare":
            session = replay.ReplaySession(replay.CryptoCompareReplay())
            return CryptoCompareSource(quote=quote or "USD", session=session, sleep=lambda s: 0)
        exchange = replay.replayed_exchange(name, servers[name])
        return CcxtSource(exchange, quote=quote or "USDT", sleep=lambda s: None)

    monkeypatch.setattr(sources, "make_source", make_source)
    fake = _test_module("tr_fake_exchange", "trade")
    positions = [
        {"symbol": "BTC/USDT:USDT", "contracts": 0.05, "side": "long", "markPrice": 37800.0},
        {"symbol": "ETH/USDT:USDT", "contracts": 1.0, "side": "long", "markPrice": 2024.5},
    ]
    account = fake.FakeAccount(
        tickers=dict(fake.TICKERS),
        balances={"USDT": 2000.0, "BTC": 0.05, "ETH": 2.0, "SOL": 10.0},
        positions=positions,
    )
    fake.install(monkeypatch, account)
    for exchange in ("BINANCE", "BYBIT"):
        monkeypatch.setenv(f"CRYPTOFOLIO_{exchange}_API_KEY", "documented-example-key")
        monkeypatch.setenv(f"CRYPTOFOLIO_{exchange}_SECRET", "documented-example-secret")
    return account


def run_example(example: str, folder: Path) -> None:
    """Run one documented example from ``folder``; fail with its output unless it succeeds
    and writes the files it names."""
    if example.startswith("python:"):
        exec(compile(example[len("python:") :], "README.md", "exec"), {})
        return
    words = shlex.split(shrunk(example))[1:]
    answer = "y\n" if "--execute" in words else None
    result = CliRunner().invoke(app, words, input=answer)
    assert result.exit_code == 0, f"{example}\n{result.output}"
    for option in WRITES:
        if option in words:
            path = folder / words[words.index(option) + 1]
            assert path.exists(), f"{example}: {option} {path} was not written"


def test_the_readme_runs_start_to_finish(workdir, replays):
    assert README[0] == "cryptofolio demo", README[:1]
    assert any(step.startswith("python:") for step in README)
    for step in README:
        if not any(text in step for text in (*SKIPPED, *NEVER_RUN)):
            run_example(step, workdir)


@pytest.mark.parametrize("group", sorted(HELP))
def test_every_help_example_runs(group, workdir, replays):
    for example in HELP[group]:
        if example not in SAME_RUN and not any(text in example for text in (*SKIPPED, *NEVER_RUN)):
            run_example(example, workdir)


def test_the_tables_name_real_examples_and_skip_sparingly():
    """Every override, skip and equivalence applies to an example (none is stale), skips stay
    few, and the real examples/sweep.toml (replaced in the runs) is a valid grid."""
    from cryptofolio.backtest.sweep import load_grid

    every = README + HELP_LINES
    assert len(every) >= 40
    for text, _replacement, _why in SMALLER:
        assert any(text in e for e in every), text
    skipped = [e for e in every if any(text in e for text in SKIPPED)]
    assert len(skipped) <= 3 and all(any(t in e for e in every) for t in SKIPPED)
    assert all(name in HELP_LINES and same in README for name, same in SAME_RUN.items())
    assert load_grid(REPO / "examples" / "sweep.toml")
