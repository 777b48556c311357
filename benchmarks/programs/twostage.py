"""SCTBench twostage_bad.c and twostage_100_bad.c, ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/twostage_bad.c (iTThreads = 1, iRThreads = 1) and
twostage_100_bad.c (its preprocessed copy with iTThreads = 99).

"A" threads: stage 1 sets data1Value = 1 under data1Lock; stage 2 sets data2Value =
data1Value + 1 under data2Lock (reading data1Value without data1Lock). "B" threads read
data1Value under data1Lock (return if 0), then data2Value under data2Lock, and assert
t2 == t1 + 1.

Bug: B reads data1 after some A's stage 1 and data2 before any A's stage 2 (data2 == 0). Main
spawns every A before B, so in twostage_100 B must overtake nearly all A threads' stage 2:
uniform random walk does not find it; PCT and SURW do.

Line numbers: twostage_100_bad.c (program text from line 2784) with the twostage_bad.c line in
brackets (offset 2781).

    pcemu run benchmarks/programs/twostage.py --variant twostage_bad
    pcemu run benchmarks/programs/twostage.py --variant twostage_100_bad --schedule directed
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(t_threads: int, r_threads: int, name: str) -> Program:
    async def func_a(t: Thread) -> None:  # C:2799 [18]
        await t.lock("L1", "data1Lock")  # C:2800 [19]
        await t.store("W1", "data1Value", 1)  # C:2801 [20]
        await t.unlock("U1", "data1Lock")  # C:2802 [21]
        await t.lock("L2", "data2Lock")  # C:2804 [23]
        d1 = await t.load("R1", "data1Value")  # C:2805 [24] racy read, no data1Lock
        await t.store("W2", "data2Value", d1 + 1)  # C:2805 [24]
        await t.unlock("U2", "data2Lock")  # C:2806 [25]

    async def func_b(t: Thread) -> None:  # C:2811 [30]
        await t.lock("L1", "data1Lock")  # C:2815 [34]
        if await t.load("R1", "data1Value") == 0:  # C:2816 [35]
            await t.unlock("U1", "data1Lock")  # C:2817 [36]
            return  # C:2818 [37]
        t1 = await t.load("R2", "data1Value")  # C:2820 [39] t1 = data1Value
        await t.unlock("U2", "data1Lock")  # C:2821 [40]
        await t.lock("L2", "data2Lock")  # C:2823 [42]
        t2 = await t.load("R3", "data2Value")  # C:2824 [43]
        await t.unlock("U3", "data2Lock")  # C:2825 [44]
        await t.check("A1", t2 == t1 + 1, "Bug found!: t2 != t1 + 1")  # C:2827-2829 [46-48]

    async def main(t: Thread) -> None:
        # C:2849-2858 [68-77] malloc + mutex_init: no steps
        t_pool = []
        for i in range(t_threads):  # C:2863-2868 [82-87]
            t_pool.append(await t.spawn(f"S{i}", func_a))
        r_pool = []
        for i in range(r_threads):  # C:2870-2875 [89-94]
            r_pool.append(await t.spawn(f"T{i}", func_b))
        for i in range(t_threads):  # C:2877-2882 [96-101]
            await t.join(f"J{i}", t_pool[i])
        for i in range(r_threads):  # C:2884-2889 [103-108]
            await t.join(f"K{i}", r_pool[i])

    names = [f"A{i}" for i in range(t_threads)] + [f"B{i}" for i in range(r_threads)]
    return Program(
        name=name,
        shared={"data1Value": 0, "data2Value": 0},  # C:2791-2792 [10-11]
        main=main,
        expect=("ASSERT",),
        max_threads=len(names) + 1,
        threads=tuple(names),
        # Hand-picked bad schedule: main spawns everyone, A0 does stage 1, B0 reads both.
        directed=(("main", "T0"), ("A0", "U1"), ("B0", "A1")),
    )


PROGRAMS = (
    make(1, 1, "twostage_bad"),  # twostage_bad.c:8-9
    make(99, 1, "twostage_100_bad"),  # twostage_100_bad.c:2789-2790 iTThreads = 99
)
SCENARIO = scenario(
    "twostage",
    "two-stage update with a racy read of stage 1; a reader sees stage 1 without stage 2",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d twostage_bad.c, twostage_100_bad.c",
    spec_id="sctbench",
)
