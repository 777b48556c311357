"""A small declarative checker for everything pcemu reads from a file (log events, trace
sections, headers): types, ranges and sizes, so that a value that passes can be used as it is.

A schema is a tree of the node types below; ``check(schema, value, where)`` raises
``SchemaError`` naming the first bad value by its path (``run.start.strategy_params.depth``).
Callers turn that into the one-line ``BadInput`` of the file they were reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_STR = 4096


class SchemaError(ValueError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where} {problem}")
        self.where = where
        self.problem = problem


def show(value: Any, limit: int = 40) -> str:
    """A value as a message can quote it: short, one line, type named for non-scalars."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        text = str(value) if value.bit_length() < 200 else None
        if text is None or len(text) > limit:
            digits = len(str(abs(value))) if value.bit_length() < 20000 else "many"
            return f"an integer of {digits} digits"
        return text
    if isinstance(value, float):
        return f"{value!r} (a float)"
    if isinstance(value, str | bytes):
        r = repr(value)
        return r if len(r) <= limit else r[: limit - 3] + "...'"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


class Node:
    def check(self, value: Any, where: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Node):
    """An integer lo <= x < hi (booleans and floats are not integers)."""

    lo: int
    hi: int
    hint: str = ""

    def check(self, value: Any, where: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(where, f"is {show(value)}, expected an integer{self._range()}")
        if not self.lo <= value < self.hi:
            raise SchemaError(where, f"is {show(value)}, out of range{self._range()}")

    def _range(self) -> str:
        return f" ({self.hint})" if self.hint else f" {self.lo} <= x < {self.hi}"


@dataclass(frozen=True)
class Str(Node):
    max_len: int = MAX_STR
    choices: tuple[str, ...] = ()

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, str):
            raise SchemaError(where, f"is {show(value)}, expected a string")
        if len(value) > self.max_len:
            raise SchemaError(
                where, f"is a string of {len(value)} characters (at most {self.max_len})"
            )
        if self.choices and value not in self.choices:
            raise SchemaError(where, f"is {show(value)}, expected one of {', '.join(self.choices)}")


@dataclass(frozen=True)
class Bytes(Node):
    max_len: int

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, bytes):
            raise SchemaError(where, f"is {show(value)}, expected bytes")
        if len(value) > self.max_len:
            raise SchemaError(where, f"is {len(value)} bytes long (at most {self.max_len})")


@dataclass(frozen=True)
class Opt(Node):
    """``None`` or the inner node (a missing key of a ``Map`` is ``None`` too)."""

    inner: Node

    def check(self, value: Any, where: str) -> None:
        if value is not None:
            self.inner.check(value, where)


@dataclass(frozen=True)
class ListOf(Node):
    item: Node
    max_items: int

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, list | tuple):
            raise SchemaError(where, f"is {show(value)}, expected a list")
        if len(value) > self.max_items:
            raise SchemaError(where, f"has {len(value)} items (at most {self.max_items})")
        for i, v in enumerate(value):
            self.item.check(v, f"{where}[{i}]")


@dataclass(frozen=True)
class Tuple(Node):
    items: tuple[Node, ...]

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, list | tuple) or len(value) != len(self.items):
            raise SchemaError(where, f"is {show(value)}, expected a list of {len(self.items)}")
        for i, (node, v) in enumerate(zip(self.items, value, strict=True)):
            node.check(v, f"{where}[{i}]")


@dataclass(frozen=True)
class DictOf(Node):
    """A map of string keys to values of one node."""

    value: Node
    max_items: int
    key: Str = field(default_factory=lambda: Str(200))

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(where, f"is {show(value)}, expected a map")
        if len(value) > self.max_items:
            raise SchemaError(where, f"has {len(value)} entries (at most {self.max_items})")
        for k, v in value.items():
            self.key.check(k, f"{where} key")
            self.value.check(v, f"{where}.{k}")


@dataclass(frozen=True)
class Map(Node):
    """A map with named fields: ``required`` must be present, ``optional`` may be missing or
    ``None`` (unless their node says otherwise); other keys are allowed and ignored."""

    required: Mapping[str, Node] = field(default_factory=dict)
    optional: Mapping[str, Node] = field(default_factory=dict)

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(where, f"is {show(value)}, expected a map")
        for k, node in self.required.items():
            if k not in value:
                raise SchemaError(f"{where}.{k}", "is missing")
            node.check(value[k], f"{where}.{k}")
        for k, node in self.optional.items():
            if value.get(k) is not None:
                node.check(value[k], f"{where}.{k}")


def check(schema: Node, value: Any, where: str) -> None:
    schema.check(value, where)


def require_lengths(where: str, lists: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Parallel lists must have one length."""
    lengths = {len(v) for _, v in lists}
    if len(lengths) > 1:
        sizes = ", ".join(f"{name} {len(v)}" for name, v in lists)
        raise SchemaError(where, f"has lists of different lengths ({sizes})")
