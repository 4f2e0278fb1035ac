"""docs/architecture.md names only what exists: every dotted name in backticks imports or
resolves (``cryptofolio.optimize``, ``option_group.install_option_group``,
``PortfolioResult.risk_contributions``), every bare Python name (``build_portfolio``,
``metrics_table``) is defined somewhere in the package, and every file it names is there."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cryptofolio"
DOC = ROOT / "docs" / "architecture.md"

#: Backticked words of the page that are not Python names of the package: CLI commands and
#: objective names (``allocate``, ``hrp``), Python keywords, and third-party names.
NOT_PACKAGE_NAMES = {
    "allocate",
    "invest",
    "hrp",
    "herc",
    "clean",
    "forecast",
    "global",
    "highspy",
    "torch",
    "T5",
}

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME = re.compile(rf"^({_IDENTIFIER}(?:\.{_IDENTIFIER})*)(?:\(.*\))?$")
_FILE = re.compile(r"^[\w./*-]+(\.py|\.md|/)$")


def _backticked() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks: examples, not names
    return sorted({m for m in re.findall(r"`([^`\n]+)`", text)})


def _modules() -> list[str]:
    out = []
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] != "__main__":  # importing it runs the command line
            out.append(".".join(parts))
    return sorted(out)


MODULES = _modules()


def _defined_names() -> set[str]:
    """Every name the package (or a test the page names) defines: functions, classes, module
    and class attributes (dataclass fields included), ``self.x`` attributes and parameters."""
    names: set[str] = set()
    tests = [ROOT / n for n in _backticked() if n.startswith("tests/") and n.endswith(".py")]
    for path in [*SRC.rglob("*.py"), *tests]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def _resolve(dotted: str) -> object:
    """The object ``dotted`` names: a module or attribute path from ``cryptofolio`` or from one
    of its modules (``option_group.install_option_group``), a class attribute of a class the
    package defines (``PortfolioResult.risk_contributions``), or an importable module path."""
    head, *rest = dotted.split(".")
    starts = [m for m in MODULES if m == dotted or m.endswith("." + head) or m == head]
    for module_name in [*starts, dotted]:
        try:
            obj = importlib.import_module(module_name)
        except ImportError:
            continue
        tail = dotted[len(module_name) + 1 :] if dotted.startswith(module_name) else ""
        if module_name != dotted and not dotted.startswith(module_name):
            tail = ".".join(rest)
        if (found := _getattr_path(obj, tail)) is not None:
            return found
    parts = dotted.split(".")
    for k in range(len(parts) - 1, 0, -1):  # a third-party module's attribute
        try:
            module = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        if (found := _getattr_path(module, ".".join(parts[k:]))) is not None:
            return found
    for module_name in MODULES:  # a class defined (or exported) by some module
        obj = getattr(importlib.import_module(module_name), head, None)
        if obj is not None and (found := _getattr_path(obj, ".".join(rest))) is not None:
            return found
    return None


def _getattr_path(obj: object, path: str) -> object:
    for part in filter(None, path.split(".")):
        fields = getattr(obj, "__dataclass_fields__", {})
        annotations = getattr(obj, "__annotations__", {})
        if part in fields or (isinstance(obj, type) and part in annotations):
            obj = part  # a field: exists, has no class attribute to descend into
            continue
        if not hasattr(obj, part) and isinstance(obj, ModuleType):
            try:  # a submodule its package does not import
                importlib.import_module(f"{obj.__name__}.{part}")
            except ImportError:
                return None
        if not hasattr(obj, part):
            return None
        obj = getattr(obj, part)
    return obj


NAMES = _backticked()
FILES = [n for n in NAMES if _FILE.match(n)]
DOTTED = [n for n in NAMES if _NAME.match(n) and "." in _NAME.match(n).group(1) and n not in FILES]
BARE = [
    _NAME.match(n).group(1)
    for n in NAMES
    if _NAME.match(n) and "." not in _NAME.match(n).group(1) and not n.startswith("--")
]


def test_the_page_names_things():
    assert len(DOTTED) > 10 and len(BARE) > 20 and len(FILES) > 10


@pytest.mark.parametrize("name", DOTTED)
def test_dotted_names_resolve(name):
    if name.startswith("Context."):  # click's context, read by the --config option
        import click

        assert _getattr_path(click.Context, name.split(".", 1)[1]) is not None
        return
    dotted = _NAME.match(name).group(1)  # without a call's arguments
    assert _resolve(dotted) is not None, f"docs/architecture.md names {name}, which does not exist"


def test_bare_names_are_defined():
    defined = _defined_names()
    missing = sorted(n for n in set(BARE) - NOT_PACKAGE_NAMES if n not in defined)
    assert missing == []


def test_files_exist():
    missing = []
    for name in FILES:
        pattern = name.rstrip("/")
        found = (
            any(ROOT.glob(pattern))
            or any(SRC.glob(pattern))
            or any(SRC.rglob(pattern.split("/")[-1]))
        )
        if not found:
            missing.append(name)
    assert missing == []


_EXAMPLE_RUN = """
import json, sys
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
from min_tracking import MinTracking
from cryptofolio.optimize import Constraints, objective_names, optimize_portfolio
cov = pd.DataFrame(json.loads(sys.argv[2]), index=list("ABCD"), columns=list("ABCD"))
spec = MinTracking(benchmark=(0.4, 0.3, 0.2, 0.1))
free = optimize_portfolio(cov, objective=spec)
capped = optimize_portfolio(cov, objective=spec, constraints=Constraints(max_weight=0.35))
print(json.dumps({
    "registered": "min-tracking" in objective_names(),
    "free": free.weights.tolist(),
    "capped": capped.weights.tolist(),
}))
"""


def test_the_worked_example_of_an_objective_works(tmp_path):
    """The page's example module, as written, registers an objective that solves: in its own
    process (the registry is the process's), against the closed form (a feasible benchmark is
    its own answer) and cvxpy (under a cap that the benchmark breaks)."""
    import json
    import os
    import subprocess
    import sys

    import numpy as np

    cvxpy = pytest.importorskip("cvxpy")
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Worked example") :]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    (tmp_path / "min_tracking.py").write_text(code, encoding="utf-8")
    rng = np.random.default_rng(0)
    cov = np.cov(rng.normal(size=(200, 4)) * 0.02, rowvar=False) * 365
    out = subprocess.run(
        [sys.executable, "-c", _EXAMPLE_RUN, str(tmp_path), json.dumps(cov.tolist())],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC.parent)},
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["registered"]
    b = np.array([0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(got["free"], b, atol=1e-7)
    w = cvxpy.Variable(4)
    cvxpy.Problem(
        cvxpy.Minimize(cvxpy.quad_form(w - b, cvxpy.psd_wrap(cov))),
        [cvxpy.sum(w) == 1, w >= 0, w <= 0.35],
    ).solve()
    np.testing.assert_allclose(got["capped"], w.value, atol=1e-5)
