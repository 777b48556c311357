"""SCTBench din_philN_sat.c / din_philN_unsat.c, N = 2..7 (ESBMC-derived), ported to pcemu.

Source: mc-imperial/sctbench @ d59ab26d,
benchmarks/concurrent-software-benchmarks/din_phil{2..7}_{sat,unsat}.c and common.inc.

N philosophers run ``thread1(id)``. common.inc defines ``__ESBMC_atomic_begin/end()`` as
``pthread_mutex_lock/unlock(&esbmc_mutex)``: a real global mutex, so the fork phase (lines 23-28:
take x[right], x[left], release both) is serialised and never deadlocks.

- sat, N = 2..4 (lines 30-32): ``++phil`` unprotected (a load and a store), then
  ``if (phil == N) assert(0)``: the last philosopher fails the assertion unless an increment was
  lost, so most schedules are buggy.
- sat, N = 5, 6 (lines 30-34): the increment and check are inside esbmc_mutex: every complete
  schedule fails the assertion.
- sat, N = 7: line 28 is ``__ESBMC_atomic_begin()`` instead of ``_end()``: the first philosopher
  to get there relocks its own NORMAL mutex and deadlocks (INV-DL-1); everybody else waits on
  esbmc_mutex behind it.
- unsat: the fork phase only; clean.

Lines are din_phil{2,3,4}_sat.c; 5..7 have the tail one line lower (31-34) and main at 43-53.

    pcemu run benchmarks/programs/din_phil.py --variant din_phil3_sat
"""

from __future__ import annotations

from actors.generic import Program, Thread, scenario


def make(n: int, sat: bool) -> Program:
    async def thread1(t: Thread, ident: int) -> None:  # C:13
        left = ident  # C:20
        right = (ident + 1) % n  # C:21
        await t.lock("L1", "esbmc_mutex")  # C:23 __ESBMC_atomic_begin()
        await t.lock("L2", f"x[{right}]")  # C:24
        await t.lock("L3", f"x[{left}]")  # C:25
        await t.unlock("U1", f"x[{left}]")  # C:26
        await t.unlock("U2", f"x[{right}]")  # C:27
        if sat and n == 7:
            await t.lock("L4", "esbmc_mutex")  # C:28 (7_sat) atomic_BEGIN: self-deadlock
            await t.lock("L5", "esbmc_mutex")  # C:30 (never reached)
        else:
            await t.unlock("U3", "esbmc_mutex")  # C:28 __ESBMC_atomic_end()
            if not sat:
                return  # unsat: the thread ends here
            if n >= 5:
                await t.lock("L5", "esbmc_mutex")  # C:30 (5, 6_sat)
        v = await t.load("R1", "phil")  # C:30 (2-4) / C:31 (5-7) ++phil
        await t.store("W1", "phil", v + 1)
        p = await t.load("R2", "phil")  # C:31 (2-4) / C:32 if (phil == N)
        await t.check("A1", p != n, "assert(0): phil == N")  # C:32 (2-4) / C:33
        if n >= 5:
            await t.unlock("U4", "esbmc_mutex")  # C:34 (5, 6_sat)

    async def main(t: Thread) -> None:
        threads = []
        for i in range(n):  # C:44-48 (2-4) / C:46-50 (5-7)
            threads.append(await t.spawn(f"S{i}", thread1, i))  # pthread_create(.., &arg[i])
        for i in range(n):  # C:50-51 / C:52-53
            await t.join(f"J{i}", threads[i])

    kind = "sat" if sat else "unsat"
    expect: tuple[str, ...] = ()
    if sat:
        expect = ("INV-DL-1",) if n == 7 else ("ASSERT",)
    return Program(
        name=f"din_phil{n}_{kind}",
        shared={"phil": 0},
        main=main,
        expect=expect,
        max_threads=n + 1,
        threads=tuple(f"phil{i}" for i in range(n)),
    )


PROGRAMS = tuple(make(n, sat) for n in range(2, 8) for sat in (True, False))
SCENARIO = scenario(
    "din_phil",
    "dining philosophers under a global mutex; sat variants count and assert",
    PROGRAMS,
    source="mc-imperial/sctbench d59ab26d din_phil{2..7}_{sat,unsat}.c",
    spec_id="sctbench",
)
