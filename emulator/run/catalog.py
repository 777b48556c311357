"""Finding scenarios: built-ins through the ``pcemu.scenarios`` entry point (so this package
never imports ``scenarios``), and user scripts by file path.

An entry point of that group names a callable: called with no argument it returns every scenario
it provides; called with a name, the scenarios of that name it provides (``[]`` for none), at the
cost of importing only what that scenario needs. ``load`` asks for the name alone, so ``pcemu
run/hunt/replay NAME`` does not import the whole catalogue; ``builtin`` asks for everything.

A user script is imported only when the user names it (on the command line, or in Python);
never because a log or trace file names it. The bytes that are hashed are the bytes that run, so
``Scenario.script_sha256`` says exactly which script a recording came from.
"""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache
from pathlib import Path

from emulator.errors import BadInput
from emulator.run import entrypoints
from emulator.run.inputs import input_file
from emulator.run.scenario import Scenario

MAX_SCRIPT = 16 << 20


Provider = Callable[..., list[Scenario]]


@cache
def providers() -> list[Provider]:
    found = sorted(entrypoints.entry_points("pcemu.scenarios"), key=lambda ep: ep[0])
    return [entrypoints.load(value) for _name, value in found]


@cache
def builtin() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for provide in providers():
        for s in provide():
            found[s.name] = s
    return found


@cache
def builtin_named(name: str) -> Scenario | None:
    """The built-in scenario ``name`` as ``builtin()[name]`` would give it (a later provider wins
    here too), with only its own module imported; None when no provider has it."""
    if builtin.cache_info().currsize:  # the whole catalogue is loaded already
        return builtin().get(name)
    found = None
    for provide in providers():
        for s in provide(name):
            if s.name == name:
                found = s
    return found


def is_script(name: str) -> bool:
    return name.endswith(".py") or "/" in name


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss, else empty."""
    import difflib  # an error's suggestion: a run or a hunt that starts never needs it

    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def load(name: str) -> Scenario:
    """A built-in scenario by name, or a user scenario script by path."""
    if is_script(name):
        return load_script(Path(name))
    one = builtin_named(name)
    if one is not None:
        return one
    table = builtin()  # every name, for the suggestion
    if name not in table:
        hint = did_you_mean(name, table)
        if hint:
            raise BadInput(f"unknown scenario {name!r}{hint} (see pcemu list)")
        known = ", ".join(table) or "(none installed: run `pip install -e .`)"
        raise BadInput(f"unknown scenario {name!r}; known scenarios: {known} (see `pcemu list`)")
    return table[name]


def script_hash(path: Path) -> str:
    input_file(path, "scenario script", "give a path to a .py file", MAX_SCRIPT)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_script(path: Path) -> Scenario:
    input_file(path, "scenario script", "give a path to a .py file", MAX_SCRIPT)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"scenario script {str(path)!r} cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    full = path.resolve()
    mod_name = f"pcemu_user_{path.stem}"
    module = types.ModuleType(mod_name)
    module.__file__ = str(full)
    sys.modules[mod_name] = module
    try:
        code = compile(data, str(full), "exec")
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:
        raise BadInput(
            f"scenario script {str(path)!r} failed to import: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc
    scen = getattr(module, "SCENARIO", None)
    if not isinstance(scen, Scenario):
        raise BadInput(
            f"scenario script {str(path)!r} defines no "
            "SCENARIO = emulator.run.scenario.Scenario(...)"
        )
    return replace(scen, source=str(full), script_sha256=digest)
