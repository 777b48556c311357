"""000a — lockless get_futex_key trusts a `page->mapping` it loaded before entering the RCU
read-side section: the inode behind it is freed (and its memory reused) under it.

Thread: S000, Peter Zijlstra reviewing Davidlohr Bueso's "[PATCH] futex: Reduce the scope of
lock_page, aka lockless futex_get_key()", LKML 2016-01-05. Landed as 65d8fc777f6d "futex: Remove
requirement for lock_page() in get_futex_key()" (v4.6-rc1), which re-reads page->mapping inside
the section (K11): inodes are freed by call_rcu (fa0d7e3de6d6), so a mapping seen *inside* the
section cannot be freed before the section ends. BUGGY = ablation of K11 (the spec labels it so:
the v1 patch was not read in full).

Thread A (CPU0) does FUTEX_WAIT on a MAP_SHARED page of an unlinked file; thread B (CPU1) munmaps
and closes it, evicting the inode; another task (CPU2) opens a file, which may get the freed
inode's memory. Oracle: INV-UAF-2 at K12 (mapping->host read in RCU-freed memory). When the
memory has already been reused the same read is still INV-UAF-2: the pointer's generation is that
of an object whose grace period ended (the spec's INV-ID-1 outcome, keying the futex on an
unrelated file, is what would follow if the read were let through).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K
from actors.model import lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_lockless import futex_wait, unlinked_file_world

WINDOWS = [("K1", "K3"), ("K3", "K10")]
DIRECTED = [
    ("CPU0", "K1"),  # 1. gup -> P (pinned)
    ("CPU0", "K3"),  # 2. mapping = M (F's i_data), outside any RCU section
    ("CPU1", "CL9"),  # 3. munmap zaps the pte; close -> last iput -> I_FREEING -> truncate P
    #                      (P.mapping = NULL) -> call_rcu(free I)
    ("RCU", "RCU3"),  # 4. no reader: the grace period ends, I and M are FREE ...
    ("CPU2", "O1"),  #    ... and alloc_inode hands their memory to a new inode
    ("CPU0", "K12"),  # 5. rcu_read_lock; inode = M->host: use after free
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    validate = variant == "fixed"

    async def cpu0(k: K, mm: Ref, uaddr: int) -> int | None:
        return await futex_wait(k, mm, uaddr, validate=validate)

    # rcu=eager: every grace period ends the moment its last pre-existing reader leaves
    # (the most hostile legal RCU); gp-actor: the RCU actor's steps are scheduled.
    eager = options.get("rcu", "gp-actor") == "eager"
    model, actors = unlinked_file_world(cpu0, scenario_options("E2016", options, rcu_eager=eager))
    return Setup(model=model, actors=actors, windows=WINDOWS, directed=DIRECTED)


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "ablation of 65d8fc777f6d's K11 re-check (S000 review).",
    "fixed": "65d8fc777f6d (kernel/futex.c@0041042de554).",
}


SCENARIO = Scenario(
    name="futex-key-uaf",
    spec_id="000a",
    thread="S000 Peter Zijlstra on lockless futex_get_key() (2016-01-05)",
    title="get_futex_key uses a page->mapping not re-validated under RCU: inode use after free",
    era="E2016",
    commits="K11 ablated -> 65d8fc777f6d",
    build=build,
    expects={"buggy": ("INV-UAF-2",), "fixed": ()},
    options={"rcu": ("gp-actor", "eager"), **lock_options("E2016")},
)
