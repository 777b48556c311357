"""000d — futex wait/wake without barrier (B): the lost wake-up.

Thread: S000, Peter Zijlstra on the lockless get_futex_key (LKML 2016): "a successful atomic op
with return value must imply a full barrier"; the ordering comment at the top of kernel/futex.c
(@0041042de554): the waiter does ``waiters++; mb (A); lock; uval = *futex`` and the waker
``*futex = newval; ... get_futex_key: mb (B); if (waiters) wake`` -- "it is extremely important
that the waiter ... and the waker ... observe each other" (the store-buffering shape). (B) is
the full barrier implied by get_futex_key_refs: the successful atomic_inc_not_zero of the
inode's i_count in 4.6 (65d8fc777f6d), an explicit smp_mb() for inode keys since 8019ad13ef7f
(5.6, i_sequence keys).

BUGGY = ablation (kernel-scenarios.md 000d): an inode-key path that takes no value-returning
atomic and no smp_mb (8019ad13ef7f's key with its explicit barrier deleted). FIXED = with the
smp_mb() (B); FIXED-46 = (B) as the 4.6 atomic_inc_not_zero(&inode->i_count).

Actors: CPU0 waiter (FUTEX_WAIT, expects *u == 0), CPU1 waker (user store *u = 1, then
FUTEX_WAKE), same file-backed key. The futex word and hb->waiters are weak locations. Found
under TSO (CPU1's store sits in its store buffer) and WEAK; impossible under SC.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import ModelOptions, PageCacheModel
from emulator.run.scenario import Scenario, Setup


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(ModelOptions(mem=options.get("mem", "TSO")))
    inode, _mapping = model.new_file(size=4096)
    model.weak(inode, "i_count")
    hb = model.new_futex_hb()
    word = model.new_futex_word(0)
    h, u, ino = model.ref(hb), model.ref(word), model.ref(inode)

    async def futex_wait(k: K) -> None:
        await k.begin("W0", "futex_wait")
        await k.note("W1", "get_futex_key (inode key)")
        await k.atomic_inc("W2", h, "waiters")  # hb_waiters_inc
        await k.smp_mb__after_atomic("W2a")  # (A)
        await k.spin_lock("W3", h, "lock")
        uval = await k.read("W4", u, "val")  # get_futex_value_locked
        if uval != 0:
            await k.spin_unlock("W5", h, "lock")
            await k.atomic_dec("W5", h, "waiters")  # hb_waiters_dec: -EWOULDBLOCK
            await k.end("W5", "futex_wait")
            return
        await k.futex_queue("W6", h, u)  # queue_me
        await k.spin_unlock("W6", h, "lock")
        await k.futex_schedule("W7", h)  # futex_wait_queue_me: schedule()
        await k.end("W8", "futex_wait")

    async def futex_wake(k: K) -> None:
        await k.write("U1", u, "val", 1)  # the user's store to the futex word
        await k.begin("U2", "futex_wake")
        if variant == "fixed":
            await k.smp_mb("U2")  # get_futex_key_refs: explicit smp_mb(); (B)
        elif variant == "fixed-46":
            await k.atomic_inc_not_zero("U2", ino, "i_count")  # (B): a successful RMW
        else:
            await k.note("U2", "get_futex_key without (B)")
        if await k.atomic_read("U3", h, "waiters") == 0:  # hb_waiters_pending
            await k.end("U3", "futex_wake")
            return
        await k.spin_lock("U4", h, "lock")
        n = await k.futex_wake_queued("U5", h, u, 1)
        for _ in range(n):
            await k.atomic_dec("U5", h, "waiters")  # __unqueue_futex: hb_waiters_dec
        await k.spin_unlock("U6", h, "lock")
        await k.end("U6", "futex_wake")

    return Setup(
        model=model,
        actors=[actor("CPU0", futex_wait), actor("CPU1", futex_wake)],
        windows=[("U1", "U3"), ("W2", "W4")],
        directed=[
            # 1-2. CPU1 stores *u = 1 (buffered / not yet visible), finds no waiter, returns.
            ("CPU1", "U3", "weak"),
            # 3. CPU0 waiters++, (A), lock, reads *u = 0 (stale), queues and sleeps.
            ("CPU0", "W7", "weak"),
        ],
    )


SOURCES: dict[str, str] = {
    "buggy": "kernel/futex.c (4.x) futex_wait/futex_wake and its ordering comment, with barrier "
    "(B) of get_futex_key_refs removed (ablation); litmus core pcemu-000d-buggy (herd7: "
    "Sometimes).",
    "fixed": "kernel/futex.c after 8019ad13ef7f: (B) is the smp_mb() implied by "
    "get_futex_key_refs (ihold / futex_get_mm / explicit smp_mb); litmus core pcemu-000d-fixed.",
    "fixed-46": "kernel/futex.c 4.6 (65d8fc777f6d): the key reference taken with "
    "atomic_inc_not_zero, a value-returning atomic and so a full barrier (B).",
}

SCENARIO = Scenario(
    name="futex-wake-barrier",
    spec_id="000d",
    thread="S000 Peter Zijlstra on the lockless get_futex_key (2016): an atomic op with return "
    "value implies a full barrier",
    title="futex_wake without barrier (B) misses a waiter that read the old futex word",
    era="E2016",
    commits="(B) ablated -> 8019ad13ef7f smp_mb() (B) / 65d8fc777f6d atomic_inc_not_zero",
    build=build,
    expects={"buggy": ("INV-WAKE-1",), "fixed": (), "fixed-46": ()},
    variants=("buggy", "fixed", "fixed-46"),
    mem="TSO",
    mems=("TSO", "WEAK", "SC"),
)
