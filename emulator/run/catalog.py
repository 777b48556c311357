"""Finding scenarios: built-ins through the ``pcemu.scenarios`` entry point (so this package
never imports ``scenarios``), and user scripts by file path."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from emulator.errors import BadInput
from emulator.run.scenario import Scenario


@cache
def builtin() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for ep in sorted(entry_points(group="pcemu.scenarios"), key=lambda e: e.name):
        for s in ep.load()():
            found[s.name] = s
    return found


def is_script(name: str) -> bool:
    return name.endswith(".py") or "/" in name


def load(name: str) -> Scenario:
    """A built-in scenario by name, or a user scenario script by path."""
    if is_script(name):
        return load_script(Path(name))
    table = builtin()
    if name not in table:
        known = ", ".join(table) or "(none installed: run `pip install -e .`)"
        raise BadInput(f"unknown scenario {name!r}; known scenarios: {known} (see `pcemu list`)")
    return table[name]


def load_script(path: Path) -> Scenario:
    if not path.is_file():
        raise BadInput(f"scenario script {str(path)!r} does not exist; give a path to a .py file")
    mod_name = f"pcemu_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise BadInput(f"cannot load scenario script {str(path)!r}; is it a Python file?")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise BadInput(
            f"scenario script {str(path)!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    scen = getattr(module, "SCENARIO", None)
    if not isinstance(scen, Scenario):
        raise BadInput(
            f"scenario script {str(path)!r} defines no "
            "SCENARIO = emulator.run.scenario.Scenario(...)"
        )
    from dataclasses import replace

    return replace(scen, source=str(path))
