"""SCTBench reorder_{3,4,5,10,20}_bad.c (from the CB/ConVul "reorder" test), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d, benchmarks/concurrent-software-benchmarks/
reorder_{3,4,5,10,20}_bad.c (preprocessed copies of reorder_bad.c.skip; identical bodies, only
iSet/iCheck at lines 2788-2789 differ).

iSet "set" threads each write ``a = 1`` then ``b = -1`` (a W/W race); iCheck "check" threads
assert that they see (a, b) in {(0, 0), (1, -1)}. Main creates all set threads first, then the
check threads, then joins them all.

Bug: a checker must read a == 1 and then b == 0, i.e. run between some set thread's ``a = 1``
and the first ``b = -1``. The checker is spawned last, so a scheduler that rarely preempts lets
every set thread finish first: uniform random walk finds reorder_3 (2 set threads) but not
reorder_10/20 (PCT and SURW do; see benchmarks/search.py). The C condition
``!((a == 0 && b == 0) || (a == 1 && b == -1))`` is evaluated with short-circuit and re-reads
``a`` and ``b`` in the second disjunct: up to four loads.

Line numbers: the preprocessed files (program text from line 2784), with the reorder_bad.c.skip
line in brackets (offset 2780).

    pcemu run benchmarks/programs/reorder.py --variant reorder_10_bad
    pcemu run benchmarks/programs/reorder.py --variant reorder_10_bad --schedule directed
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(i_set: int, i_check: int, name: str) -> Program:
    async def set_thread(t: Thread) -> None:  # C:2851 [71]
        await t.store("W1", "a", 1)  # C:2852 [72]
        await t.store("W2", "b", -1)  # C:2853 [73] /*BAD: W/W data race*/

    async def check_thread(t: Thread) -> None:  # C:2858 [78]
        ok = False
        if await t.load("R1", "a") == 0 and await t.load("R2", "b") == 0:  # C:2859 [79]
            ok = True
        if not ok and await t.load("R3", "a") == 1 and await t.load("R4", "b") == -1:
            ok = True
        await t.check("A1", ok, "Bug found!: (a, b) not in {(0, 0), (1, -1)}")  # C:2860-2861

    async def main(t: Thread) -> None:
        # C:2804-2812 [24-32] argc handling: defaults only
        set_pool = []
        for i in range(i_set):  # C:2819-2824 [39-44]
            set_pool.append(await t.spawn(f"S{i}", set_thread))
        check_pool = []
        for i in range(i_check):  # C:2826-2832 [46-52]
            check_pool.append(await t.spawn(f"T{i}", check_thread))
        for i in range(i_set):  # C:2834-2839 [54-59]
            await t.join(f"J{i}", set_pool[i])
        for i in range(i_check):  # C:2841-2846 [61-66]
            await t.join(f"K{i}", check_pool[i])

    names = [f"set{i}" for i in range(i_set)] + [f"check{i}" for i in range(i_check)]
    return Program(
        name=name,
        shared={"a": 0, "b": 0},  # C:2791-2792 [11-12]
        main=main,
        expect=("ASSERT",),
        max_threads=len(names) + 1,
        threads=tuple(names),
        # Hand-picked bad schedule: main spawns everyone, set0 writes a = 1, check0 checks.
        directed=(("main", "T0"), ("set0", "W1"), ("check0", "A1")),
    )


PROGRAMS = (
    make(2, 1, "reorder_3_bad"),  # reorder_3_bad.c:2788-2789
    make(3, 1, "reorder_4_bad"),  # reorder_4_bad.c:2788-2789
    make(4, 1, "reorder_5_bad"),  # reorder_5_bad.c:2788-2789
    make(9, 1, "reorder_10_bad"),  # reorder_10_bad.c:2788-2789 iSet = 9, iCheck = 1
    make(10, 10, "reorder_20_bad"),  # reorder_20_bad.c:2788-2789 iSet = 10, iCheck = 10
)
SCENARIO = scenario(
    "reorder",
    "set threads write a then b; a checker spawned last must see the gap between them",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d reorder_{3,4,5,10,20}_bad.c",
    spec_id="sctbench",
)
