"""Steps per second of a standard multi-actor workload through the full engine, against the
hub-baton floor, in CPU time, measured side by side in the same run.

Engine: 4 CPU actors x N iterations of get_page / trylock_page / read / unlock_page / put_page on
shared pages, through the baton scheduler (chaos strategy, delays on), msgpack envelopes, the
page-cache model with its incremental oracles and the recorded choice source.
Floor: ``floors.hub_baton_rate``: the same topology (4 actor tasks, one hub task, exactly one
runnable, ``trio.lowlevel.reschedule`` both ways) with no emulation at all, the same number of
requests.

Prints both rates, their ratio (target >= 0.6) and the load average it ran under.
Usage: python benchmarks/steps.py [N] [--rounds R]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import hub_baton_rate

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy

ACTORS = 4


def engine_rate(iters: int) -> tuple[float, int]:
    model = PageCacheModel()
    pages = [model.ref(model.new_page(FILE, i, holders=("cache",))) for i in range(ACTORS)]

    def cpu(i: int) -> Any:
        async def body(k: K) -> None:
            holder = f"pin:{k.name}"
            for n in range(iters):
                page = pages[(i + n) % ACTORS]
                await k.get_page("B1", page, holder)
                if await k.trylock_page("B2", page):
                    await k.read("B3", page, "index")
                    await k.unlock_page("B4", page)
                else:
                    await k.read("B3", page, "index")
                    await k.read("B4", page, "mapping")
                await k.put_page("B5", page, holder)

        return body

    actors = [actor(f"CPU{i}", cpu(i)) for i in range(ACTORS)]
    cfg = RunConfig(make_strategy("chaos", 1), budget=10**9)
    t0 = time.process_time()
    r = run_sync(model, actors, cfg)
    dt = time.process_time() - t0
    assert r.outcome.status == "clean", r.outcome
    return r.outcome.steps / dt, r.outcome.steps


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    iters = int(args[0]) if args else 5000
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    best_e = best_f = best_l = 0.0
    steps = reqs = 0
    for _ in range(rounds):  # best of each, alternating, so all see the same machine load
        e, steps = engine_rate(iters)
        f, reqs = hub_baton_rate(ACTORS, steps // ACTORS)
        li, _ = hub_baton_rate(ACTORS, steps // ACTORS, lightened=True)
        best_e, best_f, best_l = max(best_e, e), max(best_f, f), max(best_l, li)
    print(
        f"engine: {best_e:,.0f} steps/s ({steps} steps, {ACTORS} actors, chaos, msgpack, oracles)"
    )
    print(f"floor:  {best_f:,.0f} req/s  ({reqs} requests, bare trio hub baton, no model)")
    print(f"ratio:  {best_e / best_f:.2f} (target >= 0.60)")
    print(
        f"(the floor with the engine's lightened scheduler passes: {best_l:,.0f} req/s;"
        f" ratio {best_e / best_l:.2f})"
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
