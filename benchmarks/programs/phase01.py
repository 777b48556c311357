"""SCTBench phase01_bad.c / phase01_ok.c (the Inspect example phase01.c), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/phase01_{bad,ok}.c.

Two threads run the same ``thread1``: lock x, unlock x, lock x, then lock/unlock y twice.

- bad: the second ``pthread_mutex_unlock(&x)`` (line 10) is commented out: the first thread to
  reach line 9 exits holding x; the other waits on x for ever and main waits in join. Exiting
  with a lock held is legal; the hang is reported at quiescence (INV-WAKE-1), naming x's exited
  owner.
- ok: line 10 unlocks x; clean.

    pcemu run benchmarks/programs/phase01.py --variant phase01_bad
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(variant: str) -> Program:
    bad = variant == "bad"

    async def thread1(t: Thread) -> None:  # C:5
        await t.lock("L1", "x")  # C:7 /* BAD: deadlock */
        await t.unlock("U1", "x")  # C:8
        await t.lock("L2", "x")  # C:9
        if not bad:
            await t.unlock("U2", "x")  # C:10 (commented out in bad)
        await t.lock("L3", "y")  # C:12
        await t.unlock("U3", "y")  # C:13
        await t.lock("L4", "y")  # C:14
        await t.unlock("U4", "y")  # C:15

    async def main(t: Thread) -> None:
        t1 = await t.spawn("S1", thread1)  # C:26
        t2 = await t.spawn("S2", thread1)  # C:27
        await t.join("J1", t1)  # C:29
        await t.join("J2", t2)  # C:30

    return Program(
        name=f"phase01_{variant}",
        shared={},
        main=main,
        expect=("INV-WAKE-1",) if bad else (),
        max_threads=3,
        threads=("t1", "t2"),
    )


PROGRAMS = (make("bad"), make("ok"))
SCENARIO = scenario(
    "phase01",
    "two threads lock x twice; bad forgets the second unlock and exits holding it",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d phase01_{bad,ok}.c",
    spec_id="sctbench",
)
