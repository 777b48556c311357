"""What one applied step did, stated by the model: objects read and written with their
generations, allocations, frees and reuses, locks taken, released and awaited, wake-ups, RCU
sections. The report, ``explain`` and the HTML timeline render these records; nothing in pcemu
parses text the model produced to recover them.

The engine stays domain-free: ``okind`` and ``name`` are opaque strings the model chooses.
Facts are collected only when a run asks for them (``RunConfig.facts``), so a soak pays nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Fact kinds. "stale" = an access through a pointer whose object has a newer generation.
READ, WRITE, ALLOC, FREE, REUSE, LOCK, UNLOCK, WAIT, WAKE, RCU_LOCK, RCU_UNLOCK, STALE = (
    "read",
    "write",
    "alloc",
    "free",
    "reuse",
    "lock",
    "unlock",
    "wait",
    "wake",
    "rcu_lock",
    "rcu_unlock",
    "stale",
)


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str  # one of the kinds above
    oid: int = 0  # the object concerned (0: none, e.g. rcu_lock)
    gen: int = 0  # the generation the step used
    okind: str = ""  # the object's type as the model names it ("page", "anon_vma")
    name: str = ""  # field read or written, or the lock's name ("PG_locked", "root->mutex")
    value: Any = None  # value read or written, as plain data
    other: int = -1  # the actor woken, or the owner of an awaited lock (-1: none)
