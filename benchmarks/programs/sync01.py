"""SCTBench sync01_bad.c / sync01_ok.c (the Inspect example sync01.c), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/sync01_{bad,ok}.c.

Producer thread1 waits on ``empty`` while num > 0, increments num and signals ``full`` after the
unlock; consumer thread2 waits on ``full`` while num == 0, (ok: decrements num) and signals
``empty``.

- bad: num starts at 1 (line 48) and thread2's ``num--`` is commented out (line 34): thread1
  waits on ``empty`` with num == 1 for ever (its wait starts after thread2's only signal, or it
  is woken and finds num still 1). Every schedule hangs: a condvar wait nobody will signal
  (INV-WAKE-1).
- ok: num starts at 0 (line 46) and thread2 decrements it (line 33); clean.

The #define N (line 5) is unused. Lines: sync01_bad.c [sync01_ok.c].

    pcemu run benchmarks/programs/sync01.py --variant sync01_bad
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(variant: str) -> Program:
    bad = variant == "bad"

    async def thread1(t: Thread) -> None:  # C:12
        await t.lock("L1", "m")  # C:14
        while await t.load("R1", "num") > 0:  # C:16
            await t.wait("C1", "empty", "m")  # C:17 /* BAD: deadlock */
        v = await t.load("R2", "num")  # C:19 num++
        await t.store("W1", "num", v + 1)  # C:19
        await t.unlock("U1", "m")  # C:21
        await t.signal("C2", "full")  # C:22

    async def thread2(t: Thread) -> None:  # C:26 [26]
        await t.lock("L1", "m")  # C:29 [28]
        while await t.load("R1", "num") == 0:  # C:31 [30]
            await t.wait("C1", "full", "m")  # C:32 [31]
        if not bad:
            v = await t.load("R2", "num")  # C:[33] num-- (commented out in bad: 34)
            await t.store("W1", "num", v - 1)  # C:[33]
            # C:[34] printf: no step
        await t.unlock("U1", "m")  # C:37 [36]
        await t.signal("C2", "empty")  # C:39 [38]

    async def main(t: Thread) -> None:
        t1 = await t.spawn("S1", thread1)  # C:54 [52]
        t2 = await t.spawn("S2", thread2)  # C:56 [54]
        await t.join("J1", t1)  # C:59 [57]
        await t.join("J2", t2)  # C:60 [58]

    return Program(
        name=f"sync01_{variant}",
        shared={"num": 1 if bad else 0},  # C:48 [46]
        main=main,
        expect=("INV-WAKE-1",) if bad else (),
        max_threads=3,
        threads=("t1", "t2"),
    )


PROGRAMS = (make("bad"), make("ok"))
SCENARIO = scenario(
    "sync01",
    "one produce/consume handshake; bad starts full and never consumes",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d sync01_{bad,ok}.c",
    spec_id="sctbench",
)
