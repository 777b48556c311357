"""What ``pcemu primitives`` lists, read from the code: the parts of the actor API ``K`` (one per
family of ops) and the public routines of actors/kernel/. The first line of each docstring is
the citation a scenario author needs; nothing here is written twice."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass

import actors.kernel
from actors.api import K


@dataclass(frozen=True)
class Primitive:
    family: str  # api part (pages, locks, ...) or kernel module (kernel.fault, ...)
    name: str
    signature: str  # parameters as actor code passes them
    doc: str  # the docstring's first paragraph, on one line
    kind: str  # "op" (one step) or "routine" (labelled steps of actors/kernel/)


def _doc(obj: object) -> str:
    text = inspect.getdoc(obj) or ""
    return " ".join(text.split("\n\n")[0].split())


def _signature(fn: object, skip: int) -> str:
    params = list(inspect.signature(fn).parameters.values())[skip:]  # type: ignore[arg-type]
    return "(" + ", ".join(p.name for p in params) + ")"


def api_ops() -> list[Primitive]:
    """Every awaitable of K, family by family in K's own order (each is one op, one step)."""
    out: list[Primitive] = []
    for part in K.__mro__[1:]:
        module = inspect.getmodule(part)
        if module is None or not getattr(module, "__pcemu_api__", False):
            continue
        family = module.__name__.rsplit(".", 1)[-1]
        for name, fn in vars(part).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(fn):
                continue
            out.append(Primitive(family, name, _signature(fn, 1), _doc(fn), "op"))
    return out


def kernel_routines() -> list[Primitive]:
    """The public async functions of each actors/kernel module, in definition order: the
    kernel's multi-step routines (filemap_fault, get_user_pages, truncate_pagecache, ...)."""
    out: list[Primitive] = []
    infos = pkgutil.iter_modules(actors.kernel.__path__, prefix="actors.kernel.")
    for info in sorted(infos, key=lambda m: m.name):
        module = importlib.import_module(info.name)
        family = info.name.removeprefix("actors.")
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(fn):
                continue
            if fn.__module__ != module.__name__:  # re-exported from another module
                continue
            out.append(Primitive(family, name, _signature(fn, 0), _doc(fn), "routine"))
    return out


def primitives() -> list[Primitive]:
    return api_ops() + kernel_routines()
