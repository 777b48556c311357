"""SCTBench sync02_bad.c / sync02_ok.c (the Inspect example sync02.c), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/sync02_{bad,ok}.c.

Producer/consumer on ``num`` with mutex m and condvars empty/full, signal after unlock.

- bad: N = 2 and num starts at 2 (line 30). The consumer consumes twice (2 -> 0) and finishes;
  the producer produces once (0 -> 1) and then waits on ``empty`` with num == 1 for ever. Every
  schedule hangs: a condvar wait nobody will signal (INV-WAKE-1).
- ok: a different, longer file: N = 20, num starts at 0, a correct handshake; clean.

    pcemu run benchmarks/programs/sync02.py --variant sync02_bad
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make_bad() -> Program:
    n = 2  # C:2 (sync02_bad.c)

    async def producer(t: Thread) -> None:  # C:6
        i = 0  # C:7
        while i < n:  # C:8
            await t.lock("L1", "m")  # C:9
            while await t.load("R1", "num") > 0:  # C:10
                await t.wait("C1", "empty", "m")  # C:11
            v = await t.load("R2", "num")  # C:12 num++ //produce
            await t.store("W1", "num", v + 1)  # C:12
            await t.unlock("U1", "m")  # C:13
            await t.signal("C2", "full")  # C:14
            i += 1  # C:15

    async def consumer(t: Thread) -> None:  # C:17
        j = 0  # C:18
        while j < n:  # C:19
            await t.lock("L1", "m")  # C:20
            while await t.load("R1", "num") == 0:  # C:21
                await t.wait("C1", "full", "m")  # C:22
            v = await t.load("R2", "num")  # C:23 num-- //consume
            await t.store("W1", "num", v - 1)  # C:23
            await t.unlock("U1", "m")  # C:24
            await t.signal("C2", "empty")  # C:25
            j += 1  # C:26

    async def main(t: Thread) -> None:
        id1 = await t.spawn("S1", producer)  # C:34
        id2 = await t.spawn("S2", consumer)  # C:35
        await t.join("J1", id1)  # C:36
        await t.join("J2", id2)  # C:37

    return Program(
        name="sync02_bad",
        shared={"num": 2},  # C:30
        main=main,
        expect=("INV-WAKE-1",),
        max_threads=3,
        threads=("producer", "consumer"),
    )


def make_ok() -> Program:
    n = 20  # C:4 (sync02_ok.c)

    async def thread1(t: Thread) -> None:  # C:11
        i = 0  # C:15
        while i < n:  # C:16
            await t.lock("L1", "m")  # C:17
            while await t.load("R1", "num") > 0:  # C:18
                await t.wait("C1", "empty", "m")  # C:19
            v = await t.load("R2", "num")  # C:21 num++
            await t.store("W1", "num", v + 1)  # C:21
            # C:23 printf: no step
            await t.unlock("U1", "m")  # C:24
            await t.signal("C2", "full")  # C:26
            i += 1  # C:28

    async def thread2(t: Thread) -> None:  # C:33
        j = 0  # C:37
        while j < n:  # C:38
            await t.lock("L1", "m")  # C:39
            while await t.load("R1", "num") == 0:  # C:40
                await t.wait("C1", "full", "m")  # C:41
            v = await t.load("R2", "num")  # C:43 num--
            await t.store("W1", "num", v - 1)  # C:43
            # C:44 printf: no step
            await t.unlock("U1", "m")  # C:45
            await t.signal("C2", "empty")  # C:47
            j += 1  # C:48

    async def main(t: Thread) -> None:
        t1 = await t.spawn("S1", thread1)  # C:63
        t2 = await t.spawn("S2", thread2)  # C:65
        await t.join("J1", t1)  # C:68
        await t.join("J2", t2)  # C:69

    return Program(
        name="sync02_ok",
        shared={"num": 0},  # C:57
        main=main,
        expect=(),
        max_threads=3,
        threads=("t1", "t2"),
    )


PROGRAMS = (make_bad(), make_ok())
SCENARIO = scenario(
    "sync02",
    "producer/consumer; bad starts with two items and produces into a full slot",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d sync02_{bad,ok}.c",
    spec_id="sctbench",
)
