"""Emulated kernel objects (kernel-scenarios.md section 1).

Every object has an oid, a kind, a generation (bumped whenever its storage is reallocated) and a
lifetime state. Fields live in a plain dict so that generic steps (READ_ONCE, WRITE_ONCE, atomics)
work on any field; pointer fields hold oids only, like the kernel holds addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAGE = 4096

# A pointer as actors hold it: (oid, generation).
Ref = tuple[int, int]

LIVE = "LIVE"
FREE = "FREE"
RCU_PENDING = "RCU_PENDING"

# Kinds whose slab is SLAB_TYPESAFE_BY_RCU: a freed object is immediately reusable by the next
# allocation *of the same kind*, and reading it after free is legal (it is still that type).
TYPESAFE = frozenset({"anon_vma"})

# Kinds whose memory is never freed: a struct page lives in the memmap for ever. A page whose
# count reached zero goes back to the allocator and is reused as another page (gen + 1); a
# stale pointer to it still points at a struct page, so using it is an identity question (the
# wrong page for an index), never a use after free. get_page_unless_zero on it fails (count 0)
# or pins the page in its new life, which the lookup's slot re-check catches.
NEVER_FREED = frozenset({"page"})

# Pointer fields: reads return (oid, gen) so later uses can be checked against reuse.
POINTERS = frozenset({"mapping", "root", "host", "anon_vma", "i_mapping", "mm", "file"})

# Counters whose underflow is INV-REF-1 and whose 0 -> 1 via get is INV-REF-2.
REFCOUNTS = frozenset({"refcount", "i_count", "_refcount"})

# Page kinds (emulator only): file cache, shmem, anonymous, the zero page, the gate area (the
# x86-64 vsyscall page: in_gate_area()), install_special_mapping pages (the vdso), and pages a
# driver's mmap inserted with vm_insert_page (alloc_page pages: refcounted, no mapping).
FILE, SHMEM, ANON, ZERO, SPECIAL = "FILE", "SHMEM", "ANON", "ZERO", "SPECIAL"
GATE, DRIVER = "GATE", "DRIVER"


@dataclass
class Obj:
    oid: int
    kind: str
    gen: int
    f: dict[str, Any]
    state: str = LIVE
    freed_step: int = -1
    gp_end_step: int = -1
    wseq: int = 0  # global write sequence number of the last write (livelock detection)
    wactor: int = -1  # actor of the last write
    history: list[tuple[str, str, str, int]] = field(default_factory=list)

    def name(self) -> str:
        return f"{self.kind}#{self.oid}"

    def gname(self) -> str:
        return f"{self.kind}#{self.oid} gen {self.gen}"


def page_fields(ptype: str, index: int = 0) -> dict[str, Any]:
    return {
        "ptype": ptype,
        "locked": 0,
        "uptodate": 1,
        "dirty": 0,
        "writeback": 0,
        "swapcache": 0,
        "reserved": 1 if ptype in (ZERO, SPECIAL, GATE) else 0,
        "_refcount": 0,
        "mapcount": -1,
        "mapping": None,
        "anon": 0,
        "index": index,
    }


def anon_vma_fields() -> dict[str, Any]:
    # The lock is initialised by the slab constructor once, not per allocation: it survives
    # free and reuse, which is what makes a trylock on a recycled object "work" (003a).
    return {"root": None, "refcount": 0, "chain": ()}
