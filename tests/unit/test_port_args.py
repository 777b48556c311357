"""A request's arguments reach the model as its envelope decodes them; ``port._plain`` says
when the arguments themselves are that already (so the hub need not decode them)."""

from __future__ import annotations

from typing import Any, NamedTuple

import msgpack
import pytest

from emulator.engine.port import _plain


class Pair(NamedTuple):
    a: int
    b: int


class Hex(int):
    pass


PLAIN: list[tuple[Any, ...]] = [
    (),
    ((3, 1), "lock"),
    ((3, 1), "refcount", 2),
    (1, -5, 2**40, True, False, None, 1.5, b"x", "s"),
    ((), (None, "a", 0.25)),
]
NOT_PLAIN: list[tuple[Any, ...]] = [
    ([1, 2],),  # a list decodes to a tuple
    ({"k": 1},),  # a dict is mutable
    (Pair(1, 2),),  # a tuple subclass decodes to a plain tuple
    (Hex(16),),  # an int subclass decodes to an int
    ((1, (2, 3)),),  # deeper than two levels: decoded, not checked
    ((1, [2]),),
]


def decoded(args: tuple[Any, ...]) -> Any:
    return msgpack.unpackb(msgpack.packb(args), use_list=False)


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is tuple:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("args", PLAIN)
def test_plain_arguments_are_what_decoding_gives_back(args: tuple[Any, ...]) -> None:
    assert _plain(args)
    assert same(decoded(args), args)


@pytest.mark.parametrize("args", NOT_PLAIN)
def test_other_arguments_are_decoded(args: tuple[Any, ...]) -> None:
    assert not _plain(args)
