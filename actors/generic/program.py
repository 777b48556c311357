"""A generic concurrent program, and how it becomes an ``emulator.run.scenario.Scenario``.

A :class:`Program` is C-like: ``shared`` globals with initial values, a ``main`` thread that
spawns and joins others, and what it should trip (``expect``: oracle ids, ``()`` for a clean
program). The engine's actor list is fixed per run, so ``max_threads`` actors are allocated up
front (``main`` included); a thread never spawned waits idle and reports nothing. ``main``
returning is the process exit: the run ends, whatever other threads were doing, after the
``final`` checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from actors.generic.api import Functions, Thread, main_program, thread_program
from actors.generic.model import Final, GenericModel
from emulator.engine.runtime import ActorSpec
from emulator.run.scenario import Scenario, Setup

MainFn = Callable[[Thread], Awaitable[None]]


@dataclass(frozen=True)
class Program:
    name: str
    shared: Mapping[str, object]
    main: MainFn
    expect: tuple[str, ...]  # oracle ids a run may trip; () = every run must stay clean
    max_threads: int  # main included
    final: Sequence[Final] = ()
    threads: Sequence[str] = ()  # names of the spawnable threads (default T1, T2, ...)
    directed: Sequence[tuple[str, str]] = ()  # (thread, label): a hand-picked bad schedule
    windows: Sequence[tuple[str, str]] = ()  # chaos windows by label
    budget: int = 20_000

    def __post_init__(self) -> None:
        if self.max_threads < 1:
            raise ValueError(f"{self.name}: max_threads={self.max_threads}; main counts, so >= 1")
        if self.threads and len(self.threads) != self.max_threads - 1:
            raise ValueError(
                f"{self.name}: {len(self.threads)} thread names for max_threads="
                f"{self.max_threads}; give max_threads - 1 names (main is implicit)"
            )
        names = self.actor_names()
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: thread names repeat: {names}")

    def actor_names(self) -> list[str]:
        rest = list(self.threads) or [f"T{i}" for i in range(1, self.max_threads)]
        return ["main", *rest]

    def setup(self) -> Setup:
        """A fresh model and actor list for one run."""
        fns = Functions()
        names = self.actor_names()
        actors = [ActorSpec(names[0], main_program(fns, self.main))]
        # Spawned threads are daemons to the engine: main's return ends the run (process exit),
        # and a thread never spawned is not waited for.
        actors += [ActorSpec(n, thread_program(fns), daemon=True) for n in names[1:]]
        return Setup(
            model=GenericModel(self.shared, self.final),
            actors=actors,
            windows=self.windows,
            directed=self.directed,
        )


def scenario(
    name: str,
    title: str,
    programs: Sequence[Program],
    source: str,
    spec_id: str = "generic",
    era: str = "-",
    commits: str = "-",
) -> Scenario:
    """One scenario whose variants are ``programs``, by program name (``--variant NAME``)."""
    table = {p.name: p for p in programs}
    if len(table) != len(programs):
        raise ValueError(f"{name}: program names repeat")

    def build(variant: str, options: Mapping[str, str]) -> Setup:
        return table[variant].setup()

    return Scenario(
        name=name,
        spec_id=spec_id,
        thread=source,
        title=title,
        era=era,
        commits=commits,
        build=build,
        expects={p.name: p.expect for p in programs},
        variants=tuple(table),
        budget=max(p.budget for p in programs),
    )
