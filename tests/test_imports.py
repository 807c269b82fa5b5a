"""The package's modules import each other without a cycle (module-level imports: what runs at import time).

Imports inside functions are left out on purpose: they are how a lazy dependency is written here (torch,
chromadb, gradio), and they do not make an import order matter. `if TYPE_CHECKING:` blocks never run.
"""

from __future__ import annotations

import ast
from pathlib import Path
from tests.support import ROOT

PACKAGE = ROOT / "assistant"


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level(body: list[ast.stmt]):
    """Statements that run when the module is imported (into if/try blocks, not into defs or classes)."""
    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            ):
                yield from _top_level(node.orelse)
                continue
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                yield from _top_level(block)
        elif isinstance(node, ast.With):
            yield from _top_level(node.body)
        else:
            yield node


def module_imports(path: Path, modules: set[str], root: Path = PACKAGE.parent) -> set[str]:
    """The package's modules that `path` imports at module level."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in _top_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{a.name}" for a in node.names]  # `from pkg import module`
        else:
            continue
        out |= {t for t in targets if t in modules}
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): module_imports(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle_and_reads_relative_imports(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    pkg = tmp_path / "assistant"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "sub" / "__init__.py").write_text("from .x import f\n")
    (pkg / "sub" / "x.py").write_text(
        "from .. import y\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..z import T\n"
    )
    (pkg / "y.py").write_text("def g():\n    from .z import h\n")
    (pkg / "z.py").write_text("try:\n    from assistant.sub import x\nexcept ImportError:\n    pass\n")
    paths = sorted(pkg.rglob("*.py"))
    modules = {module_name(p, tmp_path) for p in paths}
    assert modules == {"assistant.sub", "assistant.sub.x", "assistant.y", "assistant.z"}
    got = {module_name(p, tmp_path): module_imports(p, modules, tmp_path) for p in paths}
    assert got == {"assistant.sub": {"assistant.sub.x"}, "assistant.sub.x": {"assistant.y"}, "assistant.y": set(),
                   "assistant.z": {"assistant.sub", "assistant.sub.x"}}  # fmt: skip


def test_the_package_has_no_import_cycle_at_module_level():
    graph = import_graph()
    assert "assistant.embeddings.embedder" in graph and graph["assistant.doctor"]  # the walk saw the package
    assert cycles(graph) == []
