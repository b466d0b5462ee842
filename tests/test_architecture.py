"""The shape of the code (docs/ARCHITECTURE.md): no import cycles, imports only point down the layers, every module
imports alone, and modules and functions stay small unless a reason is written next to them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ablations", "pipelines", "filters")
# run_ablation.py -> ablations -> pipelines -> filters: a layer may import the layers after it, never those before
LAYERS = ("run_ablation", "ablations", "pipelines", "filters")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
REASON = "# long:"  # `# long: <why>` above a long function or on its def line (a long module: in its first lines)


def project_modules() -> dict[str, Path]:
    out = {"run_ablation": REPO / "run_ablation.py"}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in the file, including imports inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_imports_point_down_the_layers():
    def layer(module: str) -> int:
        return LAYERS.index(module.split(".")[0])

    wrong = [f"{m} imports {t}" for m, targets in import_graph().items() for t in targets if layer(t) < layer(m)]
    assert wrong == []


IMPORT_ALONE = """
import importlib, sys
layers = sys.argv[1].split(",")
for name in sys.argv[2:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in layers]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as e:
        print(f"{name}: {type(e).__name__}: {e}")
"""


def test_every_module_imports_alone():
    """Each module imported with no project module loaded before it (in a separate interpreter, where third-party
    packages stay cached, so this is quick): an import that only works after another project module fails here."""
    names = [n for n in project_modules() if not n.endswith("__main__")]
    res = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, ",".join(LAYERS), *names], cwd=REPO, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.splitlines() == []


def long_definitions(path: Path) -> list[str]:
    """Functions over the limit without a reason comment right above them, and the module if it is too long."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    if len(lines) > MAX_MODULE_LINES and not any(REASON in line for line in lines[:15]):
        out.append(f"{path.relative_to(REPO)}: {len(lines)} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            n = node.end_lineno - node.lineno + 1
            if n > MAX_FUNCTION_LINES and REASON not in lines[first - 2] + lines[node.lineno - 1]:
                out.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.name} is {n} lines")
    return out


def test_long_definitions_are_flagged(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    path = REPO / "tests" / "_long_example.py"
    try:
        path.write_text(f"def f():\n{body}\n\n\n# long: a table\ndef g():\n{body}\n")
        assert [x.split(": ", 1)[1] for x in long_definitions(path)] == ["f is 61 lines"]
    finally:
        path.unlink()


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_and_functions_stay_small(package):
    too_long = [x for path in sorted((REPO / package).rglob("*.py")) for x in long_definitions(path)]
    assert too_long == [], "split these, or write `# long: <reason>` next to them"
