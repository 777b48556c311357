"""The layers point one way (DESIGN.md section 1, docs/architecture.md).

- emulator/ never imports actors/ or scenarios/; actors/ never imports scenarios/
- inside emulator/: engine <- run <- debug, soak <- cli (an arrow is "may be imported by")
- no import cycle anywhere in emulator/, counting imports inside functions and under
  ``TYPE_CHECKING`` (a cycle hidden in a function is still a cycle in the design)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# For each sub-package of emulator: the sub-packages it must never import.
FORBIDDEN = {
    "engine": {"run", "debug", "soak", "cli"},
    "run": {"debug", "soak", "cli"},
    "debug": {"soak", "cli"},
    "soak": {"debug", "cli"},
    "cli": set(),  # the top: every command may use every layer below it
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def emulator_modules() -> dict[str, Path]:
    return {module_name(f): f for f in sorted((ROOT / "emulator").rglob("*.py"))}


def import_edges(name: str, path: Path, known: set[str]) -> set[str]:
    """The emulator modules ``name`` imports. ``from pkg import mod`` is an edge to the
    submodule when ``mod`` is one; a submodule's implicit import of its parent package is not
    counted (every submodule has it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_pkg else 0)]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:
                    out.add(sub)
                elif base in known:
                    out.add(base)
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = emulator_modules()
    known = set(mods)
    return {name: import_edges(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that returns to its start, or None."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        color[n] = grey
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if color.get(m, black) == grey:
                return [*stack[stack.index(m) :], m]
            if color.get(m) == white:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        color[n] = black
        return None

    for n in sorted(graph):
        if color[n] == white:
            found = visit(n)
            if found:
                return found
    return None


def test_emulator_imports_neither_actors_nor_scenarios() -> None:
    files = sorted((ROOT / "emulator").rglob("*.py"))
    assert files
    bad = {
        str(f.relative_to(ROOT)): sorted(imported_modules(f) & {"actors", "scenarios"})
        for f in files
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_actors_do_not_import_scenarios() -> None:
    files = sorted((ROOT / "actors").rglob("*.py"))
    assert all("scenarios" not in imported_modules(f) for f in files)


def test_sub_packages_point_one_way() -> None:
    graph = import_graph()
    bad = []
    for mod, deps in sorted(graph.items()):
        parts = mod.split(".")
        if len(parts) < 2 or parts[1] not in FORBIDDEN:
            continue
        for dep in sorted(deps):
            dparts = dep.split(".")
            if len(dparts) > 1 and dparts[1] in FORBIDDEN[parts[1]]:
                bad.append(f"{mod} imports {dep}")
    assert bad == []


def test_the_sub_packages_exist() -> None:
    graph = import_graph()
    for pkg in ("engine", "run", "debug", "soak", "cli"):
        assert f"emulator.{pkg}" in graph, pkg
    assert "emulator.cli.exits" in graph
    assert "emulator.engine.facts" in graph
    assert "emulator.engine.events" in graph


def test_every_sub_package_has_its_place_in_the_layers() -> None:
    # A sub-package missing from FORBIDDEN would have its imports checked by nothing.
    pkgs = {p.parent.name for p in (ROOT / "emulator").glob("*/__init__.py")}
    assert pkgs == set(FORBIDDEN)


def test_errors_is_the_bottom_of_emulator() -> None:
    # engine may import errors and nothing else of emulator/: so errors imports none of it.
    graph = import_graph()
    assert graph["emulator.errors"] <= {"emulator"}
    assert all(
        d.split(".")[1] in ("engine", "errors")
        for m, deps in graph.items()
        if m.startswith("emulator.engine")
        for d in deps
        if d != "emulator"
    )


def test_no_import_cycles_in_emulator() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_model_code_uses_no_module_random_wall_clock_or_raw_trio() -> None:
    for d in ("emulator", "actors", "scenarios"):
        for f in sorted((ROOT / d).rglob("*.py")):
            rel = f.relative_to(ROOT)
            if rel.parts[1] in ("soak", "cli"):
                continue
            mods = imported_modules(f)
            assert "random" not in mods, rel
            if d != "emulator":
                assert "trio" not in mods, rel
                assert "time" not in mods, rel
