"""emulator/ is domain-free: it never imports actors/ or scenarios/ (DESIGN.md section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


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


def test_model_code_uses_no_module_random_wall_clock_or_raw_trio() -> None:
    for d in ("emulator", "actors", "scenarios"):
        for f in sorted((ROOT / d).rglob("*.py")):
            rel = f.relative_to(ROOT)
            if rel.parts[1] in ("soak",) or rel.name in ("cli.py",):
                continue
            mods = imported_modules(f)
            assert "random" not in mods, rel
            if d != "emulator":
                assert "trio" not in mods, rel
                assert "time" not in mods, rel
