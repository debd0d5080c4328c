"""ARCHITECTURE.md against the code: every module described, its imports as the table
states them, no import cycle, and no module-level state a function rewrites.

Several people change imports at once; this is what keeps the document true when
their work is merged.  When it fails, change the code or the table, whichever is
wrong.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reportgen"
DOCUMENT = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
FILES = {p.stem: p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if not p.stem.startswith("__")}
"""Module name → its file under reportgen/ (names are unique across the subpackages)."""
MODULES = sorted(FILES)

CYCLES = {frozenset({"importer", "folders"})}
"""The import cycles ARCHITECTURE.md owns up to (under "Imports")."""

CACHES = {
    ("book", "_FONT_CONFIG"),
    ("cjkprint", "_installed"),
    ("fonts", "_configured"),
    ("search", "_running"),
    ("typeset", "_leaders_installed"),
}
"""Module-level names a function may rebind with ``global``: caches of the process, each with
a comment beside it saying what invalidates it."""


def imported(module: str) -> set[str]:
    """The reportgen modules ``module`` imports, at the top or inside a function."""
    tree = ast.parse((PACKAGE / FILES[module]).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        dotted = node.module or "" if isinstance(node, ast.ImportFrom) else ""
        if dotted == "reportgen" or dotted.startswith("reportgen."):
            last = dotted.split(".")[-1]  # `from reportgen.load.reader import x` or `from reportgen.load import reader`
            names |= {last} if last in FILES else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[-1] for alias in node.names if alias.name.startswith("reportgen.")}
    return (names & set(MODULES)) - {module}


def table() -> dict[str, set[str]]:
    """The "Imports" table of ARCHITECTURE.md: module → the modules it says it uses."""
    section = DOCUMENT.split("\n## Imports\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for path, uses in re.findall(r"^\| `([\w/]+)\.py` \| (.*?) \|$", section, re.M):
        rows[path] = set(re.findall(r"`(\w+)`", uses))
    return rows


def test_every_module_has_a_paragraph():
    modules = DOCUMENT.split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    described = {path for path in re.findall(r"`([\w/]+\.py)`", modules) if not path.startswith("tests/")}
    assert not set(FILES.values()) - described, (
        "modules ARCHITECTURE.md does not describe (by their path under reportgen/)"
    )
    assert not described - set(FILES.values()), "ARCHITECTURE.md describes modules that do not exist"


def test_the_imports_table_is_what_each_module_imports():
    rows = table()
    assert sorted(rows) == sorted(path.removesuffix(".py") for path in FILES.values()), (
        "the table has one row per module, named by its path under reportgen/, no more"
    )
    wrong = {
        name: f"imports {sorted(imported(name))}, the table says {sorted(rows[FILES[name].removesuffix('.py')])}"
        for name in MODULES
        if imported(name) != rows[FILES[name].removesuffix(".py")]
    }
    assert not wrong, wrong


def test_no_import_cycle_but_the_documented_one():
    graph = {name: imported(name) for name in MODULES}
    found = {frozenset(c) for c in strongly_connected(graph) if len(c) > 1}
    assert found == CYCLES, f"import cycles: {[sorted(c) for c in found]}"
    for cycle in CYCLES:
        assert " ↔ ".join(f"`{n}`" for n in sorted(cycle, reverse=True)) in DOCUMENT


def test_the_architecture_check_sees_a_cycle_and_a_missing_row():
    assert {frozenset("ab")} == {
        frozenset(c) for c in strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) if len(c) > 1
    }
    assert "body" in imported("site") and "build" in imported("cli")  # inside a function too


def test_only_caches_are_rebound_at_module_level():
    rebound = set()
    for name in MODULES:
        source = (PACKAGE / FILES[name]).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Global):
                rebound |= {(name, variable) for variable in node.names}
    assert rebound == CACHES
    for module, variable in CACHES:
        lines = (PACKAGE / FILES[module]).read_text(encoding="utf-8").splitlines()
        at = next(i for i, line in enumerate(lines) if re.match(rf"{variable}\b.*=", line))
        near = " ".join(lines[max(0, at - 3) : at + 4]).lower()
        assert "invalidat" in near, f"{module}.{variable}: say what invalidates the cache"


MUTABLE = ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp


def module_level_mutables(module: str) -> set[str]:
    """Names bound at module level to a list, dict or set (not a tuple, frozenset or MappingProxyType)."""
    found = set()
    for node in ast.parse((PACKAGE / FILES[module]).read_text(encoding="utf-8")).body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        called = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else ""
        if isinstance(value, MUTABLE) or called in ("dict", "list", "set"):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found |= {ast.unparse(target) for target in targets}
    return found


MUTABLE_LEFT = {
    "sanitize": {"_HEADING", "_SVG_COMMON", "ATTRIBUTES", "VALUES"},
    "yamlio": {"_StrictLoader.yaml_implicit_resolvers"},
}
"""Constants that must stay a dict or set because a library takes only those: nh3's allow-lists
(``attributes``, ``set_tag_attribute_values``) and PyYAML's resolver table.  Add none."""


def test_constants_are_immutable():
    found = {name: names for name in MODULES if (names := module_level_mutables(name))}
    assert found == MUTABLE_LEFT


def test_every_cached_function_says_what_invalidates_it():
    for name in MODULES:
        lines = (PACKAGE / FILES[name]).read_text(encoding="utf-8").splitlines()
        for at, line in enumerate(lines):
            if re.match(r"@(functools\.)?(lru_)?cache\b", line):
                near = " ".join(lines[max(0, at - 2) : at + 1]).lower()
                assert "invalidat" in near, f"reportgen/{FILES[name]}:{at + 1}: say what invalidates the cache"


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of ``graph``."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on.discard(member)
                component.add(member)
                if member == node:
                    break
            out.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return out
