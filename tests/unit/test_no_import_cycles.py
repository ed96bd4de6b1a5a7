"""The core's imports go one way: no file of chatbot/ imports, directly or through others, a file
that imports it back, and no package of chatbot/ (chatbot.leads, chatbot.messaging, ...) depends
on one that depends on it.

Read from the source with `ast`, not by importing: every import counts wherever it stands (at
the top, inside a function, `from . import x`), except those under `if TYPE_CHECKING:`, which
never run. An import hidden inside a function to dodge a cycle is still a cycle here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "chatbot"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of chatbot/ by dotted name -> (its file, whether it is a package's __init__)."""
    found = {}
    for path in sorted(CORE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_names(name: str, path: Path, is_package: bool) -> list[str]:
    """The dotted names a module imports, anywhere in it but under `if TYPE_CHECKING:`;
    `from a import b` gives `a.b` (b may be a module or a name in a)."""
    here = name if is_package else name.rpartition(".")[0]
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.extend(f"{module}.{alias.name}" for alias in node.names)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return names


def module_graph() -> dict[str, set[str]]:
    """chatbot's modules -> the chatbot modules each imports (a name resolves to the longest
    module it starts with: `chatbot.messaging.views.Notice` -> chatbot.messaging.views)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        for imported in _imported_names(name, path, is_package):
            target = imported
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("chatbot.") and target != name:
                graph[name].add(target)
    return graph


def package_of(module: str) -> str:
    """chatbot.leads.ownership -> chatbot.leads; a top-level file is its own: chatbot.core."""
    return ".".join(module.split(".")[:2])


def package_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in modules.items():
        graph[package_of(module)]
        for target in targets:
            if package_of(target) != package_of(module):
                graph[package_of(module)].add(package_of(target))
    return dict(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) through each group of nodes that reach each other
    (Tarjan's strongly connected components, then a shortest way round)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # recursive: chatbot's graph is a few hundred nodes deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_shortest_round(graph, group) for group in groups]


def _shortest_round(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        after = []
        for node in frontier:
            for other in sorted(graph[node] & group):
                if other == start:
                    return paths[node] + [start]
                if other not in paths:
                    paths[other] = paths[node] + [other]
                    after.append(other)
        frontier = after
    raise AssertionError(f"{sorted(group)} is not a cycle")


def _why(graph: dict[str, set[str]], cycle: list[str]) -> str:
    """Each package step of a cycle with the file imports that make it."""
    lines = [" -> ".join(cycle)]
    for a, b in zip(cycle, cycle[1:]):
        lines.append(f"  {a} -> {b}: " + ", ".join(
            f"{m} imports {t}" for m, ts in sorted(graph.items()) for t in sorted(ts)
            if package_of(m) == a and package_of(t) == b))
    return "\n".join(lines)


def test_no_file_of_the_core_imports_one_that_imports_it_back():
    found = cycles(module_graph())
    assert not found, "import cycles between files:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_package_of_the_core_depends_on_one_that_depends_on_it():
    modules = module_graph()
    found = cycles(package_graph(modules))
    assert not found, "import cycles between packages:\n" + "\n".join(_why(modules, c) for c in found)


def test_the_reader_sees_every_kind_of_import(tmp_path):
    """The reader itself: imports at the top, inside a function, relative ones and `from . import
    x` all count; one under `if TYPE_CHECKING:` does not."""
    package = tmp_path / "chatbot" / "shop"
    package.mkdir(parents=True)
    source = (
        "from typing import TYPE_CHECKING\n"
        "import chatbot.store.db\n"
        "from . import desk\n"
        "from ..team.roster import add_member\n"
        "if TYPE_CHECKING:\n"
        "    from chatbot.reports import figures\n"
        "else:\n"
        "    from chatbot.domain import clock\n"
        "def later():\n"
        "    from chatbot.messaging import views\n"
    )
    (package / "floor.py").write_text(source)
    names = _imported_names("chatbot.shop.floor", package / "floor.py", is_package=False)
    assert names == ["typing.TYPE_CHECKING", "chatbot.store.db", "chatbot.shop.desk",
                     "chatbot.team.roster.add_member", "chatbot.domain.clock", "chatbot.messaging.views"]


def test_a_cycle_is_named_by_the_way_round():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
