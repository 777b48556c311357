"""SCTBench fsbench_bad.c / fsbench_ok.c (the Inspect/ESBMC file-system benchmark), ported.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/fsbench_{bad,ok}.c.

NUM_THREADS workers; worker tid takes inode lock locki[i] (i = tid % NUMINODE) and, if inode[i]
is free, scans up to NUMBLOCKS/2 blocks from b = 2i % NUMBLOCKS under lockb[b] for a free one.

- bad: NUM_THREADS = 27 but locki/lockb/busy have NUMBLOCKS = 26 entries: worker 26 computes
  i = 26 and ``assert(i >= 0 && i < NUMBLOCKS)`` (line 28) fails on every schedule, as soon as
  that worker runs (the /*BAD*/ at line 51 marks the out-of-bounds unlock the assert guards).
- ok: NUM_THREADS = 26 and no tid assert (line 23); clean.

The assertion of line 28 fires before locki[26] would be touched, so the port never indexes
past 25.

    pcemu run benchmarks/programs/fsbench.py --variant fsbench_bad
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario

NUMBLOCKS = 26  # C:6
NUMINODE = 32  # C:7


def make(variant: str) -> Program:
    bad = variant == "bad"
    num_threads = 27 if bad else 26  # C:8

    async def thread_routine(t: Thread, tid: int) -> None:  # C:17
        if bad:
            await t.check("A1", 0 <= tid < num_threads, "tid out of range")  # C:23 (bad only)
        i = tid % NUMINODE  # C:27
        await t.check("A2", 0 <= i < NUMBLOCKS, "i >= NUMBLOCKS")  # C:28, fails for tid 26
        await t.lock("L1", f"locki[{i}]")  # C:29
        if await t.load("R1", f"inode[{i}]") == 0:  # C:30
            b = (i * 2) % NUMBLOCKS  # C:32
            for _ in range(NUMBLOCKS // 2):  # C:35 (13 iterations)
                await t.lock("L2", f"lockb[{b}]")  # C:37
                if not await t.load("R2", f"busy[{b}]"):  # C:38
                    await t.store("W1", f"busy[{b}]", 1)  # C:40
                    await t.store("W2", f"inode[{i}]", b + 1)  # C:41
                    # C:42 printf: no step
                    await t.unlock("U1", f"lockb[{b}]")  # C:43
                    break  # C:44
                await t.unlock("U2", f"lockb[{b}]")  # C:46
                b = (b + 1) % NUMBLOCKS  # C:47
        await t.check("A3", 0 <= i < NUMBLOCKS, "i >= NUMBLOCKS")  # C:50
        await t.unlock("U3", f"locki[{i}]")  # C:51 /*BAD: locki upper bound*/
        # C:52 pthread_exit(NULL): the thread ends

    async def main(t: Thread) -> None:
        # C:60-65 init busy[i] = 0: folded into `shared`
        tids = []
        for i in range(num_threads):  # C:67-71
            tids.append(await t.spawn(f"S{i}", thread_routine, i))
        for i in range(num_threads):  # C:72-73
            await t.join(f"J{i}", tids[i])
        # C:75-79 mutex_destroy: no step

    shared = {f"busy[{b}]": 0 for b in range(NUMBLOCKS)}
    shared.update({f"inode[{n}]": 0 for n in range(NUMINODE)})
    return Program(
        name=f"fsbench_{variant}",
        shared=shared,
        main=main,
        expect=("ASSERT",) if bad else (),
        max_threads=num_threads + 1,
        threads=tuple(f"worker{i}" for i in range(num_threads)),
    )


PROGRAMS = (make("bad"), make("ok"))
SCENARIO = scenario(
    "fsbench",
    "file-system block allocation; bad runs one worker more than there are inode locks",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d fsbench_{bad,ok}.c",
    spec_id="sctbench",
)
