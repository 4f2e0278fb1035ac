"""The house rules of the code, read from the source with ``ast`` (nothing is imported):

* no module imports a private name (``_x``) or a private module from another package;
* no module keeps mutable state in ``global`` statements;
* the module-level imports between cryptofolio's modules form no circle;
* imports between stages point one way (data -> estimate -> optimize -> backtest/trade ->
  forecast -> report; the CLI above all), lazy and type-checking imports included;
* no module has more than 400 lines of logic, no function a body of more than 60 lines and no
  public function more than 8 parameters (a short allow-list says why where one must).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cryptofolio"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _imports(tree: ast.Module, module: str, path: Path, top_level_only: bool):
    """(imported module, imported names) of each ``import``/``from`` statement."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(module, path).split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def test_no_private_names_cross_a_package():
    bad = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for target, names in _imports(tree, module, path, top_level_only=False):
            if not target.startswith("cryptofolio"):
                # third-party libraries: their public names only
                if any(p.startswith("_") and not p.startswith("__") for p in target.split(".")):
                    bad.append(f"{module} imports private module {target}")
                continue
            same_stage = _stage(target) == _stage(module)
            private_module = any(p.startswith("_") for p in target.split(".")[1:])
            private_names = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if not same_stage and (private_module or private_names):
                bad.append(f"{module} imports {target} {private_names or ''}")
    assert bad == []


#: Modules allowed a ``global`` statement, and why.
GLOBAL_ALLOWED = {
    # the key-redacting logging filter: logging's loggers are process-wide, so is their filter
    "cryptofolio.trade.keys": "logging filters are process-wide",
}


def test_no_global_statements():
    bad = [
        module
        for module, path in MODULES.items()
        if module not in GLOBAL_ALLOWED
        and any(isinstance(n, ast.Global) for n in ast.walk(ast.parse(path.read_text())))
    ]
    assert bad == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for target, names in _imports(tree, module, path, top_level_only=True):
            for candidate in [*(f"{target}.{n}" for n in names), target]:
                if candidate in MODULES and candidate != module:
                    graph[module].add(candidate)
                    break
    return graph


def test_module_imports_form_no_circle():
    graph = _graph()
    # package faces (__init__) re-export their modules: an edge into a package's own face from
    # inside it is the re-export, not a dependency
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert circles == []


#: The rank of each stage: a module imports only its own stage and stages of a lower rank.
#: ``forecast`` sits above the backtest (its strategies plug into it) and below the report.
STAGE_RANK = {
    "cryptofolio": 0,  # the package face: its version only
    "cryptofolio.errors": 0,
    "cryptofolio.user_warnings": 0,
    "cryptofolio.blas": 0,
    "cryptofolio.costs": 0,
    "cryptofolio.torch_extra": 0,
    "cryptofolio.magnitudes": 0,
    "cryptofolio.output_paths": 0,
    "cryptofolio.keywords": 0,
    "cryptofolio.atomic_files": 0,
    "cryptofolio.locks": 0,
    "cryptofolio.display": 0,  # text and HTML views of results (duck-typed: no stage imports)
    "cryptofolio.data": 1,
    "cryptofolio.estimate": 2,
    "cryptofolio.security": 2,
    "cryptofolio.optimize": 3,
    "cryptofolio.backtest": 4,
    "cryptofolio.trade": 4,
    "cryptofolio.forecast": 5,
    "cryptofolio.report": 6,
    "cryptofolio.cli": 7,
    "cryptofolio.__main__": 7,
}


def _imported_module(target: str, names: list[str]) -> str:
    """The cryptofolio module an import statement reaches (``from cryptofolio import optimize``
    reaches ``cryptofolio.optimize``)."""
    for candidate in [*(f"{target}.{n}" for n in names), target]:
        if candidate in MODULES:
            return candidate
    return target


def test_every_module_has_a_stage_rank():
    assert sorted({_stage(m) for m in MODULES} - set(STAGE_RANK)) == []


#: Modules allowed an import against the stage order, and why.
BACK_ARROW_ALLOWED = {
    # deprecated alias: imports the pictures' new home only when an old name is used
    "cryptofolio.security.plots": "deprecated alias of cryptofolio.report.security_plots",
}


def test_imports_between_stages_point_one_way():
    back = []
    for module, path in MODULES.items():
        if module in BACK_ARROW_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        for target, names in _imports(tree, module, path, top_level_only=False):
            if not target.startswith("cryptofolio"):
                continue
            reached = _imported_module(target, names)
            here, there = STAGE_RANK[_stage(module)], STAGE_RANK.get(_stage(reached), 0)
            if _stage(reached) != _stage(module) and there > here:
                back.append(f"{module} imports {reached}")
    assert back == []


def _logic_lines(tree: ast.Module, source: str) -> int:
    """Lines that are not blank, comments or docstrings."""
    doc_lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for i, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#") and i not in doc_lines:
            count += 1
    return count


MAX_MODULE_LINES = 400  # lines of logic (no blanks, comments or docstrings)
MAX_FUNCTION_LINES = 60  # lines of a function's body, after its docstring
MAX_PARAMETERS = 8  # of a public function; more belong in a frozen spec or a CLI option group

#: Public functions allowed more parameters, and why.
PARAMETERS_ALLOWED = {
    # every parameter but two is an option group already (data, portfolio, allocator,
    # simulation, strategy, views, output); --strategies and --exclude-pow-risk stand between
    # groups in the pinned --help order, so they cannot join one
    "cryptofolio.cli.backtest_cmd.backtest": 9,
}


def _function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body, from its first statement after the docstring to its end."""
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:
        if isinstance(first.value.value, str):
            first = body[1]
    return node.end_lineno - first.lineno + 1


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Named parameters a caller gives: not ``self``/``cls``, not ``*args``/``**kwargs``, not
    a ``typer.Context`` (click passes it)."""
    args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    if args and args[0].arg in ("self", "cls"):
        args = args[1:]
    return sum(1 for a in args if not (a.annotation and "Context" in ast.unparse(a.annotation)))


def _public_functions(tree: ast.Module, module: str):
    """(dotted name, node) of the module's public functions and public methods of its
    public classes."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                yield f"{module}.{node.name}", node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    if not item.name.startswith("_") or item.name == "__init__":
                        yield f"{module}.{node.name}.{item.name}", item


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_small(module):
    path = MODULES[module]
    source = path.read_text()
    tree = ast.parse(source)
    assert _logic_lines(tree, source) <= MAX_MODULE_LINES
    long = [
        f"{n.name} ({_function_lines(n)} lines)"
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and _function_lines(n) > MAX_FUNCTION_LINES
    ]
    assert long == []
    many = [
        f"{name} ({_parameters(node)} parameters)"
        for name, node in _public_functions(tree, module)
        if _parameters(node) > PARAMETERS_ALLOWED.get(name, MAX_PARAMETERS)
    ]
    assert many == []


def test_the_size_allow_list_is_needed():
    """An allowance no longer used goes: the list stays short and true."""
    counts = {}
    for module, path in MODULES.items():
        for name, node in _public_functions(ast.parse(path.read_text()), module):
            counts[name] = _parameters(node)
    stale = {n for n in PARAMETERS_ALLOWED if counts.get(n, 0) <= MAX_PARAMETERS}
    assert stale == set()
