"""SCTBench arithmetic_prog_bad.c / arithmetic_prog_ok.c (ESBMC-derived), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/arithmetic_prog_{bad,ok}.c.

A producer (thread1) and a consumer (thread2) hand a token through ``num`` under mutex ``m``
with condvars ``empty``/``full`` (signal after unlock). The consumer adds j to ``total`` per item
and finally adds N; main asserts on ``total`` after joining both.

- bad: N = 3 and ``assert(total != N*(N+1)/2)`` (line 79): total is always 0+1+2+3 = 6, so the
  assertion fails on every complete schedule (a "trivial" SCTBench bug).
- ok: N = 4 and ``assert(total == N*(N+1)/2)`` (line 76): always holds.

Line numbers are arithmetic_prog_bad.c; the ok file, in brackets, has no blank line 10.

    pcemu run benchmarks/programs/arithmetic_prog.py --variant arithmetic_prog_bad
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(variant: str) -> Program:
    bad = variant == "bad"
    n = 3 if bad else 4  # C:5 #define N

    async def thread1(t: Thread) -> None:  # C:14 producer
        i = 0  # C:18
        while i < n:  # C:19
            await t.lock("L1", "m")  # C:20 [19]
            while await t.load("R1", "num") > 0:  # C:21 [20]
                await t.wait("C1", "empty", "m")  # C:22 [21]
            v = await t.load("R2", "num")  # C:24 [23] num++ (load)
            await t.store("W1", "num", v + 1)  # C:24 [23] num++ (store)
            # C:26 printf: local, no step
            await t.unlock("U1", "m")  # C:27 [26]
            await t.signal("C2", "full")  # C:29 [28]
            i += 1  # C:31

    async def thread2(t: Thread) -> None:  # C:35 consumer
        j = 0  # C:39
        while j < n:  # C:40
            await t.lock("L1", "m")  # C:41 [40]
            while await t.load("R1", "num") == 0:  # C:42 [41]
                await t.wait("C1", "full", "m")  # C:43 [42]
            tot = await t.load("R2", "total")  # C:45 [44] total = total + j
            await t.store("W1", "total", tot + j)  # C:45 [44]
            v = await t.load("R3", "num")  # C:47 [46] num--
            await t.store("W2", "num", v - 1)  # C:47 [46]
            await t.unlock("U1", "m")  # C:49 [48]
            await t.signal("C2", "empty")  # C:51 [50]
            j += 1  # C:52
        tot = await t.load("R4", "total")  # C:54 [53] total = total + j
        await t.store("W3", "total", tot + j)  # C:54 [53]
        await t.store("W4", "flag", 1)  # C:56 [55]

    async def main(t: Thread) -> None:
        # C:64-65 num = 0; total = 0: single-threaded init, folded into `shared` (no steps)
        t1 = await t.spawn("S1", thread1)  # C:71 [69]
        t2 = await t.spawn("S2", thread2)  # C:73 [70]
        await t.join("J1", t1)  # C:75 [72]
        await t.join("J2", t2)  # C:76 [73]
        if await t.load("R1", "flag"):  # C:78 [75]
            total = await t.load("R2", "total")  # C:79 [76]
            want = n * (n + 1) // 2
            if bad:
                await t.check("A1", total != want, f"total == {want}")  # C:79
            else:
                await t.check("A1", total == want, f"total != {want}")  # C:[76]

    return Program(
        name=f"arithmetic_prog_{variant}",
        shared={"num": 0, "total": 0, "flag": 0},
        main=main,
        expect=("ASSERT",) if bad else (),
        max_threads=3,
        threads=("thread1", "thread2"),
    )


PROGRAMS = (make("bad"), make("ok"))
SCENARIO = scenario(
    "arithmetic_prog",
    "producer/consumer through a condvar pair; bad asserts the wrong total",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d arithmetic_prog_{bad,ok}.c",
    spec_id="sctbench",
)
