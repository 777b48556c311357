"""001d — the E2011 get_futex_key takes ihold() under the page lock, and the page lock does not
keep i_count above zero: munmap and the last close between the GUP pin and the lock evict the
inode, eviction's truncate waits for the page lock the futex caller holds, and the caller's
ihold() resurrects an I_FREEING inode.

Sources compared: 3.0.1 kernel/futex.c:232 (get_futex_key: get_user_pages_fast, lock_page,
page_head->mapping->host, get_futex_key_refs -> ihold at :186) and 3.2.7 (the same, with
e6780f7243ed's !mapping branch); 3.0.1 fs/inode.c:332 (ihold: WARN_ON(atomic_inc_return(
&inode->i_count) < 2), no look at I_FREEING), :1356-1372 (iput -> iput_final -> I_FREEING ->
evict), :456 (evict -> truncate_inode_pages); 3.0.1 mm/truncate.c:209 (truncate_inode_pages_range:
pass 1 trylock_page, skip a locked page, :243; pass 2 lock_page, :286); fs/file_table.c:268 (a
synchronous __fput in 3.0). Exposed from 2.6.28 (38d47c1b707: the inode taken under the page
lock) to 4.5; 65d8fc777f6d (4.6) pins with atomic_inc_not_zero under RCU and refuses 0;
8019ad13ef7f (5.6, "futex: Fix inode life-time issue": "ihold() does not in fact guarantee inode
persistence", Jann Horn) drops the inode reference altogether.

The futex caller holds only a page reference: no file, dentry, vma or mount reference. Every
path that clears page->mapping needs the page lock, so under its lock the caller still sees the
mapping and mapping->host == the dying inode.

Actors: CPU0 (thread A) does FUTEX_WAIT repeatedly on a MAP_SHARED page of an unlinked file;
CPU1 (thread B) munmaps it and closes the last descriptor (iput -> I_FREEING -> evict); CPU2
allocates another inode (which may reuse the freed memory); the RCU actor.

Variants: "buggy" = e6780f7243ed (v3.3 - 4.5: the FIXED code of 001a/001b is exposed here, so a
FIXED variant of those scenarios is clean only in their own environment), "v3.2" = 9ea71503a8ed,
"fixed" = 65d8fc777f6d (the lockless get_futex_key of 4.6, atomic_inc_not_zero). Oracle:
INV-FUTEX-2 at L6 (ihold at i_count 0 on an I_FREEING inode; the kernel WARNs and goes on). With
-o ihold=warn the run goes on like the kernel and the key is built on the I_FREEING inode
(INV-FUTEX-1 at L6): eviction then truncates the page once CPU0 unlocks it and frees the inode
under the key (the use after free at put_futex_key's iput, or BUG_ON(I_CLEAR)).
Simplifications: munmap's fput is not a step (the open descriptor keeps the file, so it never
drops i_count here); close is fput -> __fput -> dput -> iput in one routine.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K
from actors.model import lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.futex import futex_lockless
from scenarios.futex.futex_fixlet import FIXED, V32, futex_wait
from scenarios.futex.futex_lockless import unlinked_file_world

L5 = {"buggy": FIXED, "v3.2": V32}

# CPU0 between its GUP pin and its lock_page (munmap and close fit there), and between the
# lock and the ihold.
WINDOWS = [("L1", "L3"), ("L3", "L6")]
DIRECTED = [
    ("CPU0", "L1"),  # 1. gup -> P (pinned: cache + pte + pin)
    ("CPU1", "E3"),  # 2. munmap zaps the pte; close -> iput: i_count 1 -> 0, I_FREEING
    ("CPU0", "L4"),  # 3. lock_page(P); P.mapping == M (nothing removed it yet)
    ("CPU1", "T1f"),  # 4. evict -> truncate pass 1: trylock_page(P) fails, P skipped
    ("CPU0", "L6"),  # 5. inode = M->host; ihold(I) at i_count 0 on an I_FREEING inode
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    strict = options.get("ihold", "strict") == "strict"

    async def cpu0(k: K, mm: Ref, uaddr: int) -> int | None:
        if variant == "fixed":
            return await futex_lockless.futex_wait(k, mm, uaddr)
        return await futex_wait(k, mm, uaddr, L5[variant])

    eager = options.get("rcu", "gp-actor") == "eager"
    opts = scenario_options("E2011", options, rcu_eager=eager, strict_ihold=strict)
    model, actors = unlinked_file_world(cpu0, opts)
    return Setup(model=model, actors=actors, windows=WINDOWS, directed=DIRECTED)


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "e6780f7243ed get_futex_key (3.2.7 kernel/futex.c; ihold under the page lock, 3.0.1 "
    ":186) with 3.0.1 fs/inode.c ihold (:332), iput/iput_final/evict (:1372/:1326/:456) and "
    "mm/truncate.c's two passes (:243, :286). Simplified: close is one routine.",
    "v3.2": "9ea71503a8ed get_futex_key, same world.",
    "fixed": "65d8fc777f6d (4.6 kernel/futex.c): atomic_inc_not_zero under RCU.",
}


SCENARIO = Scenario(
    name="futex-ihold-evict",
    spec_id="001d",
    thread="S001 get_futex_key under the page lock (2.6.28 - 4.5); 8019ad13ef7f (Jann Horn)",
    title="ihold() under the page lock resurrects an inode whose eviction waits for that lock",
    era="E2011",
    commits="e6780f7243ed (3.3 - 4.5) -> 65d8fc777f6d (atomic_inc_not_zero)",
    build=build,
    expects={
        "buggy": ("INV-FUTEX-2", "INV-FUTEX-1"),
        "v3.2": ("INV-FUTEX-2", "INV-FUTEX-1"),
        "fixed": (),
    },
    variants=("buggy", "fixed", "v3.2"),
    options={"ihold": ("strict", "warn"), "rcu": ("gp-actor", "eager"), **lock_options("E2011")},
)
