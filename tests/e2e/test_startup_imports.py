"""What ``pcemu hunt`` and ``pcemu --version`` import, in a fresh process: start-up CPU is mostly
importing (benchmarks/startup.py measures it; no timing is asserted here), so what a command
does not use must stay out of it. A failure here names the module that crept in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Runs pcemu as its script does and writes every module the process ended with.
PROBE = """
import atexit, json, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["pcemu", *argv]
from emulator.cli import main
main()
"""

# A clean one-seed hunt never writes or reads a recording, lists no plugin, explains nothing,
# and touches no scenario but its own.
NOT_FOR_A_HUNT = (
    "importlib.metadata",  # entry points are read by emulator/run/entrypoints.py
    "email",
    "zipfile",
    "csv",
    "structlog",
    "sqlite3",
    "rich",
    "prometheus_client",
    "concurrent.futures",  # hunt -j N only
    "difflib",  # suggestions for bad input (and click's, for any short option such as -o)
    "emulator.debug",  # replay, shrink, explain
    "emulator.soak",
    "emulator.cli.debug",
    "emulator.cli.soak",
    "emulator.cli.verify",
    "emulator.engine.verify",
    "emulator.engine.explore",
    "emulator.run.recording",
    "emulator.run.schema",
    "emulator.run.logs",
    "emulator.run.tracefile",
    "emulator.run.artifacts",
    "emulator.run.report",
    "actors.litmus",
    "actors.reference",
    "actors.kernel.fuse",  # kernel routines only other scenarios call
    "actors.kernel.truncate",
)


def modules(tmp_path: Path, *argv: str) -> list[str]:
    out = tmp_path / "modules.json"
    cmd = [sys.executable, "-c", PROBE, str(out), *argv]
    subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    found: list[str] = json.loads(out.read_text())
    return found


def within(mods: list[str], prefix: str) -> list[str]:
    return [m for m in mods if m == prefix or m.startswith(prefix + ".")]


def test_a_hunt_imports_its_scenario_and_nothing_it_does_not_use(tmp_path: Path) -> None:
    mods = modules(tmp_path, "hunt", "anon-vma-reuse", "--seeds", "1", "--out", str(tmp_path))
    assert within(mods, "scenarios") == [
        "scenarios",
        "scenarios.anon_vma",
        "scenarios.anon_vma.anon_vma_lock",  # the thread's shared code paths
        "scenarios.anon_vma.anon_vma_reuse",
        "scenarios.index",
    ]
    assert {p: within(mods, p) for p in NOT_FOR_A_HUNT if within(mods, p)} == {}


def test_an_unknown_scenario_still_lists_every_name(tmp_path: Path) -> None:
    # The suggestion needs every name: the whole catalogue is loaded for it (an error path).
    mods = modules(tmp_path, "hunt", "anon-vma-reus", "--seeds", "1")
    assert "scenarios.futex.futex_key_uaf" in mods


def test_version_imports_neither_click_nor_trio(tmp_path: Path) -> None:
    mods = modules(tmp_path, "--version")
    assert [m for m in mods if m.split(".")[0] in ("click", "trio", "msgpack", "actors")] == []
    assert within(mods, "emulator") == ["emulator", "emulator.cli"]
