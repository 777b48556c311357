"""Declaring ops: a component method marked ``@op`` is one step of the wire protocol, under its
own name. The set of ops is introspectable (``declared``) and built once per model class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Fn = TypeVar("Fn", bound=Callable[..., Any])

MARK = "__pcemu_op__"


def op(fn: Fn) -> Fn:
    """Mark a component method ``(self, cx: Step, *args)`` as the op of the same name."""
    setattr(fn, MARK, True)
    return fn


def declared(component: type) -> list[str]:
    """The ops a component class declares, in definition order."""
    return [name for name, fn in vars(component).items() if getattr(fn, MARK, False)]


def op_table(components: Sequence[tuple[str, type]]) -> dict[str, str]:
    """op name -> attribute of the component that implements it. Two components declaring the
    same op is an error at import time, not a silent shadowing."""
    table: dict[str, str] = {}
    for attr, cls in components:
        for name in declared(cls):
            if name in table:
                raise TypeError(f"op {name!r} declared by both {table[name]} and {attr}")
            table[name] = attr
    return table
