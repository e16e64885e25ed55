"""The import graph of kb/, ingest/ and web/: data flows one way (ingest → kb → web) and no module imports a
module that imports it back (directly or through others). Function-level imports count too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kb", "ingest", "web")
#: (importer, imported) package pairs that go against the flow.
AGAINST_THE_FLOW = {("kb", "web"), ("kb", "ingest"), ("ingest", "web")}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    paths = {_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for mod, path in paths.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(known(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}".rstrip(".")
                targets.update(known(f"{base}.{a.name}") if f"{base}.{a.name}" in paths else known(base)
                               for a in node.names)
        graph[mod] = {t for t in targets if t and t != mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


GRAPH = import_graph()


def test_no_module_imports_a_module_that_imports_it_back():
    assert cycles(GRAPH) == []


def test_data_flows_one_way_ingest_kb_web():
    wrong = sorted(f"{a} → {b}" for a, targets in GRAPH.items() for b in targets
                   if (a.split(".")[0], b.split(".")[0]) in AGAINST_THE_FLOW)
    assert wrong == []


def test_the_graph_sees_the_packages():
    assert {"kb.core", "ingest.pipeline", "web.app"} <= GRAPH.keys()
    assert "web.auth" in GRAPH["web.routes.admin"]
