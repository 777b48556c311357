"""000b — lockless get_futex_key pins the inode with ihold(): an inode whose last reference is
already gone, and whose eviction has begun, is brought back to i_count 1 and keyed on.

Thread: S000, Peter Zijlstra reviewing Davidlohr Bueso's "lockless futex_get_key()", LKML
2016-01-05, on the v1 comment "Previously this reference was taken by ihold under the page lock
pinning the inode in place so i_lock was unnecessary": without the page lock nothing pins the
inode, so the lockless path must use atomic_inc_not_zero(&inode->i_count), as 65d8fc777f6d
(v4.6-rc1) does. BUGGY = ablation: K13 is an unconditional ihold (kernel-scenarios.md 000b).

Thread A (CPU0) does FUTEX_WAIT on a MAP_SHARED page of an unlinked file; thread B (CPU1) munmaps
and closes it. Oracle: INV-FUTEX-2 at K13 (i_count 0 -> 1 on a dying inode). With option
ihold=warn the model lets ihold go on with only a warning, like the kernel's WARN_ON, and the
run continues to INV-FUTEX-1: the key is built on an inode that eviction goes on to free (the
use after free at put_futex_key would follow).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K
from actors.model import lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_lockless import IHOLD, INC_NOT_ZERO, futex_wait, unlinked_file_world

WINDOWS = [("K3", "K10"), ("K11", "K13")]
DIRECTED = [
    ("CPU0", "K1"),  # 1. gup -> P ...
    ("CPU0", "K12"),  #   ... mapping = M, rcu_read_lock, K11 P still in M, inode = I
    ("CPU1", "E3"),  # 2. munmap; close -> iput: i_count 1 -> 0, I_FREEING (not yet at P)
    ("CPU0", "K13"),  # 3. ihold(I): i_count 0 -> 1 on an inode being evicted
]
ONWARD = [
    ("CPU1", "E5"),  # 4. eviction truncates P, destroy_inode -> call_rcu(free I)
    ("CPU0", "K15"),  # 5. key = (I, 0): the key outlives its inode
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    pin = IHOLD if variant == "buggy" else INC_NOT_ZERO
    strict = options.get("ihold", "strict") == "strict"

    async def cpu0(k: K, mm: Ref, uaddr: int) -> int | None:
        return await futex_wait(k, mm, uaddr, pin=pin)

    # rcu=eager: every grace period ends the moment its last pre-existing reader leaves
    # (the most hostile legal RCU); gp-actor: the RCU actor's steps are scheduled.
    eager = options.get("rcu", "gp-actor") == "eager"
    model, actors = unlinked_file_world(
        cpu0, scenario_options("E2016", options, rcu_eager=eager, strict_ihold=strict)
    )
    directed = DIRECTED if strict else DIRECTED + ONWARD
    return Setup(model=model, actors=actors, windows=WINDOWS, directed=directed)


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "ablation of 65d8fc777f6d's K13 (ihold on the lockless path, S000 v1 comment).",
    "fixed": "65d8fc777f6d (kernel/futex.c@0041042de554).",
}


SCENARIO = Scenario(
    name="futex-ihold-resurrect",
    spec_id="000b",
    thread="S000 Peter Zijlstra on lockless futex_get_key() (2016-01-05)",
    title="lockless get_futex_key ihold()s an inode that is already being evicted",
    era="E2016",
    commits="ihold ablation -> 65d8fc777f6d (atomic_inc_not_zero)",
    build=build,
    expects={"buggy": ("INV-FUTEX-2", "INV-FUTEX-1", "INV-UAF-2"), "fixed": ()},
    options={"ihold": ("strict", "warn"), "rcu": ("gp-actor", "eager"), **lock_options("E2016")},
)
