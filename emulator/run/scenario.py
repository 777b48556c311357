"""The scenario contract between the engine and scenario modules (built-in or user scripts).

A scenario names its thread and commits, its variants, what each BUGGY variant should trip, its
options, and a ``build`` function that returns a fresh model, the actors, chaos windows and the
directed schedule of the spec's numbered bad interleaving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from emulator.engine.runtime import ActorSpec, Model

MAX_BUDGET = 1_000_000  # steps of one run (a scenario's budget, --budget); a step costs ~20 us


@dataclass(frozen=True)
class Setup:
    model: Model
    actors: Sequence[ActorSpec]
    windows: Sequence[tuple[str, str]] = ()
    directed: Sequence[tuple[str, ...]] = ()  # (actor, label) or (actor, label, "weak")


@dataclass(frozen=True)
class Scenario:
    name: str
    spec_id: str  # kernel-scenarios.md id, e.g. "003a"
    thread: str  # e.g. "S003 McKenney on page_lock_anon_vma, 2010-04-09"
    title: str
    era: str
    commits: str  # "88c22088bf23 -> eee0f252c653"
    build: Callable[[str, Mapping[str, str]], Setup]
    expects: Mapping[str, tuple[str, ...]]  # variant -> oracle ids it should trip ("" = clean)
    variants: tuple[str, ...] = ("buggy", "fixed")
    mem: str = "SC"  # the memory mode a run gets unless --mem says otherwise
    mems: tuple[str, ...] = ()  # every memory mode it runs in (empty: ``mem`` only)
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # first = default
    budget: int = 5_000
    source: str = "builtin"  # a user script: its absolute path
    labels: Mapping[str, str] = field(default_factory=dict)  # optional: label -> what it does
    # variant -> what ``pcemu verify`` proved of it (the catalogue's record; see docs/verify.md)
    verified: Mapping[str, str] = field(default_factory=dict)
    script_sha256: str | None = None  # a user script: sha256 of the bytes that were run

    @property
    def is_script(self) -> bool:
        return self.script_sha256 is not None

    def modes(self) -> tuple[str, ...]:
        return self.mems or (self.mem,)

    def default_options(self) -> dict[str, str]:
        return {k: v[0] for k, v in self.options.items()}
