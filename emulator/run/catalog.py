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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path

from emulator.errors import BadInput, cut
from emulator.run import entrypoints, interrupts
from emulator.run.inputs import input_file
from emulator.run.scenario import MAX_BUDGET, Scenario

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
            raise BadInput(f"unknown scenario {cut(name)!r}{hint} (see pcemu list)")
        known = ", ".join(table) or "(none installed: run `pip install -e .`)"
        raise BadInput(
            f"unknown scenario {cut(name)!r}; known scenarios: {known} (see `pcemu list`)"
        )
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
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        if isinstance(exc, KeyboardInterrupt) and interrupts.received() is not None:
            raise  # a second SIGINT/SIGTERM while it imported: the user's, not the script's
        raise BadInput(
            f"scenario script {str(path)!r} failed to import: {_raised(exc)}; fix the script"
        ) from exc
    try:
        # The script's own code may run here too: a module __getattr__, a Scenario subclass's
        # properties, the objects its fields hold.
        scen = getattr(module, "SCENARIO", None)
        if not isinstance(scen, Scenario):
            raise BadInput(
                f"scenario script {str(path)!r} defines no "
                "SCENARIO = emulator.run.scenario.Scenario(...)"
            )
        wrong = scenario_problem(scen)
        if wrong is not None:
            raise BadInput(f"scenario script {str(path)!r}: SCENARIO.{wrong}; fix the script")
        return replace(scen, source=str(full), script_sha256=digest)
    except (Exception, SystemExit) as exc:
        if isinstance(exc, BadInput):
            raise
        raise BadInput(
            f"scenario script {str(path)!r}: reading its SCENARIO raised {_raised(exc)}; fix "
            "the script"
        ) from exc


def _raised(exc: BaseException) -> str:
    """``Type: the first line of its message`` (``Type`` alone when it has none)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__


def _shown(value: object) -> str:
    from emulator.run.failures import shown

    return shown(value)


def _strs(value: object, empty: bool = True) -> bool:
    """A tuple or list of strings (non-empty strings, unless ``empty``)."""
    return isinstance(value, tuple | list) and all(
        isinstance(x, str) and (empty or x) for x in value
    )


def _signature(f: Callable[..., object]) -> str:
    import inspect

    name = getattr(f, "__name__", type(f).__name__)
    try:
        params = inspect.signature(f).parameters
    except (TypeError, ValueError):
        return name
    return f"{name}({', '.join(params)})"


def _takes_two(f: Callable[..., object]) -> bool:
    """Can ``f`` be called as ``f(variant, options)``? (True when Python cannot tell.)"""
    import inspect

    try:
        inspect.signature(f).bind("buggy", {})
    except TypeError:
        return False
    except ValueError:  # no signature to inspect (a builtin)
        return True
    return True


def scenario_problem(scen: Scenario) -> str | None:
    """What is wrong with a user script's SCENARIO (the field, its value and the fix), or None:
    every field a command reads has the type and range it must have."""
    name = scen.name
    if not isinstance(name, str) or not name or not name.isprintable() or "/" in name:
        return (
            f"name is {_shown(name)}; give a non-empty one-line name without '/', "
            "e.g. name='my-race'"
        )
    for field in ("spec_id", "thread", "title", "era", "commits"):
        value = getattr(scen, field)
        if not isinstance(value, str):
            return f"{field} is {_shown(value)}; give a string"
    if not callable(scen.build):
        return (
            f"build is {_shown(scen.build)}; give the function that builds a run: "
            "def build(variant, options) -> Setup"
        )
    if not _takes_two(scen.build):
        return (
            f"build is {_signature(scen.build)}, which cannot be called as build(variant, "
            "options); give it the two parameters: def build(variant, options) -> Setup"
        )
    variants = scen.variants
    if not _strs(variants, empty=False) or not variants or len(set(variants)) != len(variants):
        return (
            f"variants is {_shown(variants)}; give a tuple of distinct variant names, e.g. "
            "variants=('buggy', 'fixed')"
        )
    bad = [v for v in variants if "," in v or v != v.strip()]
    if bad:
        return f"variants has {bad[0]!r}; a variant name has no ',' and no outer spaces"
    expects = scen.expects
    if not isinstance(expects, Mapping):
        return (
            f"expects is {_shown(expects)}; give a map of variant to the oracles it trips, e.g. "
            "expects={'buggy': ('INV-REF-3',), 'fixed': ()}"
        )
    for k, v in expects.items():
        if k not in variants:
            return (
                f"expects names {_shown(k)}, which is not one of its variants "
                f"({', '.join(variants)}); key expects by variant"
            )
        if not _strs(v):
            return f"expects[{k!r}] is {_shown(v)}; give a tuple of oracle ids, e.g. ('INV-REF-3',)"
    if not isinstance(scen.mem, str) or not _strs(scen.mems, empty=False):
        return (
            f"mem is {_shown(scen.mem)}, mems {_shown(scen.mems)}; give mem='SC' (or 'TSO', "
            "'WEAK') and mems a tuple of such modes"
        )
    options = scen.options
    if not isinstance(options, Mapping):
        return f"options is {_shown(options)}; give a map of option to its values, default first"
    for k, vals in options.items():
        if not isinstance(k, str) or not k:
            return f"options has the key {_shown(k)}; name each option with a string"
        if not _strs(vals) or not vals:
            return (
                f"options[{k!r}] is {_shown(vals)}; give a non-empty tuple of its values, the "
                "default first, e.g. ('on', 'off')"
            )
    budget = scen.budget
    if isinstance(budget, bool) or not isinstance(budget, int) or not 0 < budget <= MAX_BUDGET:
        return f"budget is {_shown(budget)}; give a number of steps, 1 to {MAX_BUDGET:,}"
    for field in ("labels", "verified"):
        value = getattr(scen, field)
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return f"{field} is {_shown(value)}; give a map of strings to strings"
    return None
