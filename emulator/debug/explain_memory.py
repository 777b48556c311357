"""Weak memory in an explanation: the loads that returned a stale value, the store each one
missed, the barriers that ran in between, and (under TSO) where stores were buffered and where
they drained.

Everything comes from facts: ``stale_read`` (the model's memory component: the load's step,
the location as the model names it, the value read and the writer whose store it missed),
the writer's ``write``/``lock``/``unlock`` facts (which step stored, and what), and TSO's
``tso_buffer``/``tso_drain`` (``actors/memory/tso.py``). The barriers are the steps of both
CPUs between the missed store and the stale load whose primitive orders memory (the smp_*
fences, acquire/release accesses, value-returning atomics, lock acquisitions and releases):
the fact does not say which barrier pair was missing, so the explanation lists what ran and
says what the mode needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.debug.steps import Arrow, Step
from emulator.engine import facts as fk
from emulator.engine.facts import Fact

# Fact kinds stated by actors/ (the engine keeps kinds opaque).
STALE_READ = "stale_read"
TSO_BUFFER = "tso_buffer"
TSO_DRAIN = "tso_drain"

STALE_NOTE = "stale read:"  # the note at a stale load (``stale:`` is a stale generation)

FULL_FENCES = frozenset(
    {"smp_mb", "smp_mb__before_atomic", "smp_mb__after_atomic", "smp_mb__after_spinlock"}
)
ORDERING_OPS = FULL_FENCES | {
    "smp_rmb",
    "smp_wmb",
    "smp_load_acquire",
    "smp_store_release",
    "rcu_assign_pointer",
    "xchg",
    "xchg_acquire",
    "xchg_release",
    "cmpxchg",
    "cmpxchg_acquire",
    "cmpxchg_release",
    "atomic_inc_return",
    "atomic_inc_return_acquire",
    "atomic_inc_return_release",
    "atomic_add_unless",
    "atomic_dec_and_test",
    "atomic_inc_not_zero",
}


@dataclass
class Buffered:
    """A TSO store in its CPU's buffer: where it entered and where it drained (None: it was
    still buffered when the run ended)."""

    cpu: int
    where: str  # the location, named as the explanation names objects
    value: Any
    stored: Step
    drained: Step | None = None


@dataclass
class StaleRead:
    load: Step
    what: str  # the location as the model named it
    got: Any
    writer: int  # the actor whose store the load missed
    writer_name: str
    store: Step | None  # the step of that store (None: not found among the writer's steps)
    stored: Any  # the value it stored (None: unknown)
    buffered: Buffered | None = None  # TSO: the store in its buffer
    barriers: dict[str, list[Step]] = field(default_factory=dict)  # "writer"/"reader" -> steps

    def missed(self) -> str:
        """``CPU1's store of 1 at step 1 [U1]``."""
        value = f" of {self.stored}" if self.stored is not None else ""
        where = f" at step {self.store.n} [{self.store.label}]" if self.store is not None else ""
        return f"{self.writer_name}'s store{value}{where}"


@dataclass
class MemoryStory:
    mode: str
    stale: list[StaleRead]
    buffers: list[Buffered]
    arrows: list[Arrow]


def barrier_name(s: Step) -> str | None:
    """How a step orders memory, in kernel words, or None if it does not."""
    if s.op in ORDERING_OPS:
        return s.op
    if s.took:
        return f"{s.op} (acquire)"
    if s.released:
        return f"{s.op} (release)"
    return None


def _object_kinds(facts: Sequence[tuple[Fact, ...]]) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for fs in facts:
        for f in fs:
            if f.oid and f.okind and f.okind != "lock" and f.oid not in kinds:
                kinds[f.oid] = f.okind
    return kinds


def _loc_name(f: Fact, kinds: dict[int, str]) -> str:
    if not f.oid:
        return f.name
    obj = f"{kinds.get(f.oid, 'object')}#{f.oid}"
    return f"{obj}.{f.name} (lock word)" if f.okind == "lock" else f"{obj}->{f.name}"


def _buffers(
    steps: Sequence[Step], facts: Sequence[tuple[Fact, ...]], kinds: dict[int, str]
) -> list[tuple[Buffered, Fact]]:
    """Every TSO store with the step that buffered and the one that drained it (a CPU's buffer
    is FIFO: its n-th drain is its n-th store)."""
    out: list[tuple[Buffered, Fact]] = []
    queue: dict[int, list[Buffered]] = {}
    for s, fs in zip(steps, facts, strict=False):
        for f in fs:
            if f.kind == TSO_BUFFER:
                b = Buffered(f.other, _loc_name(f, kinds), f.value, s)
                queue.setdefault(f.other, []).append(b)
                out.append((b, f))
            elif f.kind == TSO_DRAIN:
                q = queue.get(f.other)
                if q:
                    q.pop(0).drained = s
    return out


def _field(fs: tuple[Fact, ...], stale: Fact) -> str | None:
    """The field a stale load read (its ``read`` fact after the ``stale_read``); None for a
    lock word (``spin_is_locked``, ``page_locked``: no field read)."""
    after = False
    for f in fs:
        if f is stale:
            after = True
        elif after and f.kind == fk.READ and f.oid == stale.oid and f.name:
            return f.name
    return None


def _store(
    steps: Sequence[Step],
    facts: Sequence[tuple[Fact, ...]],
    load: Step,
    writer: int,
    oid: int,
    fld: str | None,
) -> tuple[Step | None, Any, Fact | None]:
    """The writer's last store to the location before the load: its step, the value stored,
    and its ``tso_buffer`` fact under TSO."""
    for s in reversed(steps[: load.n - 1]):
        if s.actor != writer:
            continue
        fs = facts[s.n - 1] if s.n - 1 < len(facts) else ()
        buffered = next(
            (
                f
                for f in fs
                if f.kind == TSO_BUFFER
                and f.oid == oid
                and (f.name == fld if fld is not None else f.okind == "lock")
            ),
            None,
        )
        for f in reversed(fs):
            if f.oid != oid:
                continue
            if fld is not None and f.kind == fk.WRITE and f.name == fld:
                return s, (buffered.value if buffered is not None else f.value), buffered
            if fld is None and f.kind in (fk.LOCK, fk.UNLOCK):
                return s, int(f.kind == fk.LOCK), buffered
    return None, None, None


def _between(steps: Sequence[Step], actor: int, first: int, last: int) -> list[Step]:
    """The steps of ``actor`` strictly between step numbers ``first`` and ``last`` that order
    memory."""
    return [
        s
        for s in steps[first : max(first, last - 1)]
        if s.actor == actor and barrier_name(s) is not None
    ]


def analyse(
    steps: Sequence[Step],
    facts: Sequence[tuple[Fact, ...]],
    names: Sequence[str],
    mode: str,
) -> MemoryStory:
    kinds = _object_kinds(facts)
    buffers = _buffers(steps, facts, kinds)
    by_fact = {id(f): b for b, f in buffers}
    stale: list[StaleRead] = []
    for s, fs in zip(steps, facts, strict=False):
        for f in fs:
            if f.kind != STALE_READ:
                continue
            writer = f.other
            wname = names[writer] if 0 <= writer < len(names) else f"actor {writer}"
            fld = _field(fs, f)
            store, stored, bfact = _store(steps, facts, s, writer, f.oid, fld)
            r = StaleRead(s, f.name, f.value, writer, wname, store, stored)
            r.buffered = by_fact.get(id(bfact)) if bfact is not None else None
            start = store.n if store is not None else 0
            r.barriers = {
                "writer": _between(steps, writer, start, s.n),
                "reader": _between(steps, s.actor, start, s.n),
            }
            stale.append(r)
    arrows: list[Arrow] = []
    for r in stale:
        if r.store is not None:
            arrows.append(
                Arrow(
                    "stale",
                    r.store.n,
                    r.load.n,
                    f"{r.load.name}'s load of {r.what} at step {r.load.n} missed this store "
                    f"(read {r.got})",
                )
            )
    for b, _f in buffers:
        if b.drained is not None and b.drained.n != b.stored.n and _shown(b, stale):
            arrows.append(
                Arrow(
                    "drain",
                    b.stored.n,
                    b.drained.n,
                    f"{names[b.cpu]}'s store {b.where} = {b.value} buffered at step "
                    f"{b.stored.n}, drained at step {b.drained.n}",
                )
            )
    return MemoryStory(mode, stale, [b for b, _f in buffers], arrows)


def _shown(b: Buffered, stale: Sequence[StaleRead]) -> bool:
    """Buffered stores worth drawing: every field store, and lock words a stale read missed
    (every unlock under TSO is buffered: drawing them all would hide the story)."""
    return not b.where.endswith("(lock word)") or any(r.buffered is b for r in stale)


def _barrier_list(found: Sequence[Step]) -> str:
    if not found:
        return "none"
    return ", ".join(f"{barrier_name(s)} at step {s.n} [{s.label}]" for s in found)


def why(r: StaleRead, mode: str) -> str:
    """Why the store was not visible, as far as the facts say."""
    if mode == "TSO":
        b = r.buffered
        if b is None:
            return f"it was still in {r.writer_name}'s store buffer"
        until = (
            f"drained only at step {b.drained.n} [{b.drained.label}]"
            if b.drained is not None
            else "not drained before the run ended"
        )
        return (
            f"it was still in {r.writer_name}'s store buffer, buffered at step {b.stored.n} "
            f"[{b.stored.label}], {until}"
        )
    return "no barrier pair orders that store before this load"


def barrier_note(r: StaleRead, mode: str) -> str:
    """The barriers that ran between the store and the load, and what the mode needs."""
    w = r.barriers.get("writer", [])
    rd = r.barriers.get("reader", [])
    ran = (
        f"barriers in between: {r.writer_name} after its store: {_barrier_list(w)}; "
        f"{r.load.name} before this load: {_barrier_list(rd)}"
    )
    w_name, r_name = r.writer_name, r.load.name
    if mode == "TSO":
        need = (
            f"TSO needs a full barrier on {w_name} after the store (smp_mb or a locked RMW) "
            "to drain its buffer"
        )
    else:
        need = (
            f"{mode} needs a pair: on {w_name} after the store (smp_wmb or release if it "
            f"stores next, smp_mb if it loads next) and on {r_name} before this load "
            "(smp_rmb or acquire after a load, smp_mb after a store)"
        )
    return f"{ran}; {need}"


def stale_note(r: StaleRead, mode: str) -> str:
    return (
        f"{STALE_NOTE} {r.what} = {r.got}; {r.missed()} was not yet visible to "
        f"{r.load.name}: {why(r, mode)}"
    )


def key_text(r: StaleRead, mode: str) -> str:
    """The key fact of a failure that comes from this stale read (after the actor's name)."""
    return (
        f"[{r.load.label}] read {r.what} = {r.got} at step {r.load.n}, a stale value: "
        f"{r.missed()} was not yet visible under {mode}: {why(r, mode)}"
    )


def annotate(story: MemoryStory, names: Sequence[str]) -> None:
    """Notes on the stale loads, the stores they missed, and TSO buffers and drains."""
    mode = story.mode
    for r in story.stale:
        r.load.notes.append(stale_note(r, mode))
        r.load.notes.append(barrier_note(r, mode))
        if r.store is not None:
            r.store.notes.append(
                f"missed by {r.load.name}'s load of {r.what} at step {r.load.n} "
                f"[{r.load.label}], which read {r.got}"
            )
    for b in story.buffers:
        if not _shown(b, story.stale):
            continue
        who = names[b.cpu] if 0 <= b.cpu < len(names) else f"actor {b.cpu}"
        if b.drained is None:
            until = "still buffered when the run ended"
        elif b.drained.n == b.stored.n:
            continue  # drained in the step that stored it: nothing to see
        else:
            until = f"drains at step {b.drained.n} [{b.drained.label}]"
        b.stored.notes.append(f"buffered: {b.where} = {b.value} in {who}'s store buffer, {until}")
        if b.drained is not None:
            by = "" if b.drained.actor == b.cpu else f" (when {b.drained.name} read memory)"
            b.drained.notes.append(
                f"drains {who}'s store buffer: {b.where} = {b.value}, buffered at step "
                f"{b.stored.n} [{b.stored.label}]{by}"
            )


def key_steps(story: MemoryStory, found: Sequence[Step]) -> list[Step]:
    """A failed run's stale loads as key facts (``Step.key``), unless the step already shows
    another key fact: the value the failing actor trusted came from them."""
    out: list[Step] = []
    for r in story.stale:
        s = r.load
        if s.key is None and s not in found:
            s.key = key_text(r, story.mode)
            out.append(s)
    return out
