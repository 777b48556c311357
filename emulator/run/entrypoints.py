"""Entry points of the installed distributions (``pcemu.scenarios``, ``pcemu.commands``), read
the way ``importlib.metadata.entry_points`` reads them, without importing it.

``importlib.metadata`` imports ``email``, ``zipfile``, ``csv`` and more: a fifth of what a hunt
spends starting up beyond trio and click, for one small file per distribution. This reads the
``entry_points.txt`` of every ``*.dist-info`` and ``*.egg-info`` directory on ``sys.path``, in
importlib.metadata's order (``sys.path`` order, then directory order grouped by distribution,
the first of each distribution name kept), so every caller sees the same entry points in the
same order. Where something may hold distributions this does not read (a zip file on
``sys.path``, a meta path finder of its own), it asks ``importlib.metadata`` itself.
tests/unit/test_entrypoints.py compares the two over every group installed.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from functools import cache, reduce
from typing import Any

_SEPARATORS = re.compile(r"[-_.]+")
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


def entry_points(group: str) -> list[tuple[str, str]]:
    """(name, value) of each entry point of ``group``, in importlib.metadata's order."""
    every = _every()
    if every is None:
        from importlib.metadata import entry_points as by_importlib

        return [(ep.name, ep.value) for ep in by_importlib(group=group)]
    return [(name, value) for g, name, value in every if g == group]


def parts(value: str) -> tuple[str, str]:
    """An entry point's value (``module:attr.attr [extras]``) as (module, attr)."""
    match = _VALUE.match(value)
    if match is None:
        raise ValueError(f"entry point {value!r} is not module:attribute")
    return match.group("module"), match.group("attr") or ""


def load(value: str) -> Any:
    """What an entry point's value names, imported."""
    module, attr = parts(value)
    return reduce(getattr, filter(None, attr.split(".")), importlib.import_module(module))


class _Unsure(Exception):
    """Something on ``sys.path`` this reader does not read as importlib.metadata would."""


@cache
def _every() -> list[tuple[str, str, str]] | None:
    """(group, name, value) of every entry point installed; None when this reader cannot see
    every distribution importlib.metadata would."""
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return None
    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    try:
        for entry in sys.path:
            for dist, name in _distributions(entry):
                if name not in seen:  # the first of each distribution counts
                    seen.add(name)
                    out.extend(_read(os.path.join(dist, "entry_points.txt")))
    except _Unsure:
        return None
    return out


def _normalize(name: str) -> str:
    return _SEPARATORS.sub("-", name).lower().replace("-", "_")


def _distributions(entry: str) -> list[tuple[str, str]]:
    """(directory, distribution name) of the metadata directories in one ``sys.path`` entry,
    as importlib.metadata's ``Lookup`` lists them: grouped by normalized name, in the order each
    name first appears in the directory listing."""
    if os.path.isfile(entry or ".") or os.path.basename(entry).lower().endswith(".egg"):
        raise _Unsure(entry)  # a zip or an egg: metadata read from inside it
    try:
        children = os.listdir(entry or ".")
    except OSError:
        return []
    infos: dict[str, list[tuple[str, str]]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            if not child.endswith((".dist-info", ".egg-info")):
                raise _Unsure(child)  # importlib.metadata would name it from its metadata
            name = _normalize(low.rpartition(".")[0].partition("-")[0])
            infos.setdefault(name, []).append((os.path.join(entry, child), name))
    return [dist for dists in infos.values() for dist in dists]


def _read(path: str) -> list[tuple[str, str, str]]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return []
    out = []
    section = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is not None:
            name, value = line.split("=", 1)
            out.append((section, name.strip(), value.strip()))
    return out
