"""The kernel API as actor code sees it: ``K``, one awaitable per op of the page-cache actor,
each one step, under the op's own name on the wire. ``K`` is one class made of one part per
family of ops (``actors/api/<family>.py``), so each part stays readable on its own.

Code paths read like the kernel, with the step label first::

    page = await k.get_page_unless_zero("G2", page, holder)
    await k.lock_page("K5", page)

Pointers are ``(oid, gen)`` tuples; actor code never holds a reference to model state. Every
method here is one op that a component of actors/model/ declares with ``@op`` (same name, same
parameters after the label); tests/unit/test_api.py keeps the two in step. Kernel routines made
of several steps (gup, filemap_fault, truncate_pagecache ...) live in actors/kernel/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.api.generic import GenericApi
from actors.api.locks import LocksApi
from actors.api.objects import ObjectsApi
from actors.api.ordering import OrderingApi
from actors.api.pagecache import PageCacheApi
from actors.api.pages import PagesApi
from actors.api.shmem import ShmemApi
from actors.api.swap import SwapApi
from actors.api.waits import WaitsApi
from emulator.engine.runtime import ActorSpec, Port

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True

# Ops renamed on the wire in trace format 3 (pcemu 0.2.0) to the kernel's own names: old -> new.
# ``atomic`` with its ``how`` argument became one op per kernel primitive; ``i_size_read`` was a
# ``read`` of the field "i_size".
RENAMED_OPS: dict[str, str] = {
    "anon_vma_free": "kmem_cache_free",
    "atomic(read)": "atomic_read",
    "atomic(inc)": "atomic_inc",
    "atomic(dec)": "atomic_dec",
    "atomic(inc_not_zero)": "atomic_inc_not_zero",
    "atomic(dec_and_test)": "atomic_dec_and_test",
    "avc_link": "anon_vma_chain_link",
    "drop_remove_mapping": "remove_mapping",
    "fault_add_locked": "add_to_page_cache_locked",
    "fault_alloc_page": "alloc_page",
    "gup_read_in": "add_to_page_cache_lru",
    "gup_vma_detach": "detach_vmas_to_be_unmapped",
    "inode_alloc": "alloc_inode",
    "inode_destroy": "destroy_inode",
    "inode_ihold": "ihold",
    "inode_iput_final": "iput_final",
    "read(i_size)": "i_size_read",
    "shmem_find": "find_get_entry",
    "shmem_swap_in": "shmem_add_to_page_cache",
    "swap_add": "add_to_swap_cache",
    "swap_alloc": "get_swap_page",
    "swap_delete": "delete_from_swap_cache",
    "swap_lookup": "lookup_swap_cache",
    "swap_writeout": "swap_writepage",
    "trunc_delete": "truncate_complete_page",
    "trunc_i_size_write": "i_size_write",
    "trunc_zap_range": "zap_page_range",
}


class K(
    GenericApi,
    LocksApi,
    PagesApi,
    PageCacheApi,
    ObjectsApi,
    ShmemApi,
    OrderingApi,
    WaitsApi,
    SwapApi,
):
    """What every actor program receives: ``async def program(k: K)``."""

    __slots__ = ()


Program = Callable[[K], Awaitable[None]]


def actor(name: str, program: Program, daemon: bool = False) -> ActorSpec:
    """Declare an actor: ``async def program(k: K)`` runs as actor ``name``. Daemons are kernel
    threads that loop forever; the run ends without them."""

    def body(port: Port) -> Awaitable[None]:
        # The program's own coroutine, not one awaiting it: every step's hand-offs pass through
        # each coroutine frame of the actor's stack, and this one would only pass them on.
        return program(K(port))

    return ActorSpec(name, body, daemon)
