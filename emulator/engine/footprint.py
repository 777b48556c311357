"""What a pending request will touch (its footprint) and whether it would block.

A model may offer two optional methods (the engine works without them):

- ``footprint(actor, op, args) -> tuple[Access, ...]``: the objects the request reads or writes.
  An access is ``(key, write)``; a key is any hashable plain value the model picks (a variable
  name, ``(oid, field)``, a lock). Two requests *conflict* when they touch one key and at least
  one of them writes it; the key ``ANY`` conflicts with every access (a model's "don't know").
  An empty footprint is a *local* step: it commutes with every other step.
- ``local_ops`` (a frozenset): the ops whose footprint may be empty; with it, the hub asks no
  other op's footprint when it looks for a local step.
- ``would_block(actor, op, args, resumed) -> bool``: applying the request now would park the
  actor (a held lock, a join on a live thread). Only ops in the model's ``blocking_ops``
  (a frozenset, if it has one) are asked.

The hub applies a request that would block at once, without a choice (the actor parks, so
deadlock and lost-wakeup detection see it as before), and a local request at once too. Neither
is a scheduling decision: strategies choose only among requests that touch shared state.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Protocol

Access = tuple[Hashable, bool]
"""(key, write)."""

ANY = "*"
"""The key that conflicts with every access: a request whose footprint the model cannot state."""

UNKNOWN: tuple[Access, ...] = ((ANY, True),)


class Footprints(Protocol):
    def footprint(self, actor: int, op: str, args: tuple[Any, ...]) -> tuple[Access, ...]: ...


class Blocking(Protocol):
    blocking_ops: frozenset[str]

    def would_block(self, actor: int, op: str, args: tuple[Any, ...], resumed: bool) -> bool: ...


def conflict(a: Sequence[Access], b: Sequence[Access]) -> bool:
    """Two footprints conflict: a key in common, written by at least one of them."""
    for ka, wa in a:
        for kb, wb in b:
            if (wa or wb) and (ka == kb or ANY in (ka, kb)):
                return True
    return False


def keys(fp: Sequence[Access]) -> list[Hashable]:
    return [k for k, _ in fp]
