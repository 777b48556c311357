"""``emulator.engine.verify``: bounded exhaustive search, with and without its state reduction.

The reduction (``state``) cuts a run at a scheduling choice whose partial order of steps (and
lead actor) was already reached with no more preemptions. It must never lose an outcome that
the plain search (``none``) reaches within the same bound: checked here on small generic
programs by exploring every execution (no early stop) and comparing the sets of outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pytest

from actors.generic import Final, Program, Thread
from emulator.engine.config import RunResult
from emulator.engine.model import Model
from emulator.engine.port import ActorSpec
from emulator.engine.verify import Verdict, verify


def _build(p: Program) -> object:
    def build() -> tuple[Model, Sequence[ActorSpec]]:
        st = p.setup()
        return st.model, st.actors

    return build


def run_verify(
    p: Program,
    bound: int,
    reduction: str = "state",
    stop_at_bug: bool = True,
    counting: str = "preemptions",
) -> Verdict:
    return verify(
        _build(p),  # type: ignore[arg-type]
        (lambda r: r.outcome.failed) if stop_at_bug else (lambda r: False),
        bound,
        p.budget,
        reduction=reduction,
        counting=counting,
    )


def what(r: RunResult) -> tuple[str, str, str]:
    o = r.outcome
    v = o.violation
    return (o.status, v.oracle if v else "", v.message if v else "")


def all_outcomes(
    p: Program, bound: int, reduction: str, counting: str = "preemptions"
) -> tuple[frozenset[tuple[str, str, str]], Verdict]:
    """Every outcome of every (uncut) execution within the bound (computed once per test
    session: several tests compare the same searches)."""
    return _all_outcomes(p.name, bound, reduction, counting)


@cache
def _all_outcomes(
    name: str, bound: int, reduction: str, counting: str
) -> tuple[frozenset[tuple[str, str, str]], Verdict]:
    p = next(q for q in PROGRAMS if q.name == name)
    seen: set[tuple[str, str, str]] = set()

    def note(r: RunResult) -> bool:
        if r.divergence is None:  # a cut run ends as a divergence; it is not an outcome
            seen.add(what(r))
        return False

    v = verify(_build(p), note, bound, p.budget, reduction=reduction, counting=counting)  # type: ignore[arg-type]
    assert v.complete
    return frozenset(seen), v


# -- small programs ----------------------------------------------------------------------------


async def incr(t: Thread) -> None:
    v = await t.load("R1", "count")
    await t.store("W1", "count", v + 1)


async def locked_incr(t: Thread) -> None:
    await t.lock("L1", "m")
    v = await t.load("R1", "count")
    await t.store("W1", "count", v + 1)
    await t.unlock("U1", "m")


def two(fn: object, name: str, final: bool = True) -> Program:
    async def main(t: Thread) -> None:
        a = await t.spawn("S1", fn)
        b = await t.spawn("S2", fn)
        await t.join("J1", a)
        await t.join("J2", b)

    return Program(
        name,
        {"count": 0},
        main,
        expect=("ASSERT",) if fn is incr else (),
        max_threads=3,
        final=[Final("F1", lambda s: s["count"] == 2, "an increment was lost")] if final else [],
    )


LOST = two(incr, "lost")
LOCKED = two(locked_incr, "locked")


async def writer(t: Thread, x: str) -> None:
    await t.store("W1", x, 1)
    await t.store("W2", x, 2)
    await t.store("W3", "shared", 1)


async def reader(t: Thread) -> None:
    a = await t.load("R1", "x")
    b = await t.load("R2", "y")
    s = await t.load("R3", "shared")
    await t.check("A1", not (a == 1 and b == 2 and s == 1), f"saw x={a} y={b} shared={s}")


async def three_main(t: Thread) -> None:
    a = await t.spawn("S1", writer, "x")
    b = await t.spawn("S2", writer, "y")
    c = await t.spawn("S3", reader)
    await t.join("J1", a)
    await t.join("J2", b)
    await t.join("J3", c)


THREE = Program("three", {}, three_main, expect=("ASSERT",), max_threads=4)


async def philosopher(t: Thread, left: str, right: str) -> None:
    await t.lock("L1", left)
    await t.lock("L2", right)
    v = await t.load("R1", "meals")
    await t.store("W1", "meals", v + 1)
    await t.unlock("U1", right)
    await t.unlock("U2", left)


async def phil_main(t: Thread) -> None:
    a = await t.spawn("S1", philosopher, "f0", "f1")
    b = await t.spawn("S2", philosopher, "f1", "f0")
    await t.join("J1", a)
    await t.join("J2", b)


PHIL = Program("phil", {}, phil_main, expect=("INV-DL-1",), max_threads=3)


async def cv_waiter(t: Thread) -> None:
    await t.lock("L1", "m")
    if await t.load("R1", "ready") == 0:
        await t.wait("C1", "cv", "m")
    await t.store("W1", "done", 1)
    await t.unlock("U1", "m")


async def cv_main(t: Thread) -> None:
    a = await t.spawn("S1", cv_waiter)
    b = await t.spawn("S2", cv_waiter)
    await t.lock("L1", "m")
    await t.store("W1", "ready", 1)
    await t.signal("G1", "cv")
    await t.unlock("U1", "m")
    await t.join("J1", a)
    await t.join("J2", b)


CONDVAR = Program("condvar", {}, cv_main, expect=("INV-WAKE-1",), max_threads=3)

PROGRAMS = (LOST, LOCKED, THREE, PHIL, CONDVAR)


# -- tests -------------------------------------------------------------------------------------


def test_bound_zero_misses_the_lost_update_and_bound_one_finds_it() -> None:
    v0 = run_verify(LOST, 0)
    assert v0.witness is None and v0.complete
    v1 = run_verify(LOST, 1)
    assert v1.witness is not None
    assert what(v1.witness)[1] == "ASSERT"
    assert not v1.complete


def test_a_clean_program_is_proven_within_the_bound() -> None:
    for bound in (0, 1, 2, 3):
        v = run_verify(LOCKED, bound)
        assert v.witness is None
        assert v.complete, bound
        assert v.outcomes.get("clean", 0) >= 1


def test_the_plain_search_agrees_on_a_clean_program() -> None:
    a = run_verify(LOCKED, 2, reduction="none")
    b = run_verify(LOCKED, 2, reduction="state")
    assert a.complete and b.complete and a.witness is None and b.witness is None
    assert b.executions <= a.executions


@pytest.mark.parametrize("p", PROGRAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("bound", [0, 1, 2])
def test_the_reduction_never_loses_an_outcome(p: Program, bound: int) -> None:
    plain, vp = all_outcomes(p, bound, "none")
    reduced, vr = all_outcomes(p, bound, "state")
    assert reduced == plain
    assert vp.cut == 0
    assert vr.executions - vr.cut <= vp.executions


@pytest.mark.parametrize("p", PROGRAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("bound", [0, 1, 2])
def test_the_reduction_finds_the_bug_the_plain_search_finds(p: Program, bound: int) -> None:
    plain = run_verify(p, bound, "none")
    reduced = run_verify(p, bound, "state")
    assert (plain.witness is None) == (reduced.witness is None)
    if reduced.witness is not None:
        assert what(reduced.witness)[1] == what(plain.witness)[1]  # type: ignore[arg-type]
    else:
        assert reduced.complete and plain.complete


def test_the_reduction_cuts_runs_where_steps_commute() -> None:
    """x and y are written by different threads: their orders merge."""
    reduced, vr = all_outcomes(THREE, 2, "state")
    plain, vp = all_outcomes(THREE, 2, "none")
    assert reduced == plain
    assert vr.cut > 0
    assert vr.executions < vp.executions


def test_fewest_preemptions_first_and_deterministic() -> None:
    a = run_verify(THREE, 2)
    b = run_verify(THREE, 2)
    assert a.witness is not None and b.witness is not None
    assert a.executions == b.executions
    assert a.witness.values == b.witness.values
    assert a.witness.outcome.trace_hash == b.witness.outcome.trace_hash


def test_the_limit_makes_the_search_inconclusive() -> None:
    v = verify(_build(LOCKED), lambda r: r.outcome.failed, 3, LOCKED.budget, 2)  # type: ignore[arg-type]
    assert v.executions == 2
    assert not v.complete and v.witness is None


def test_a_lost_update_needs_one_delay_of_the_round_robin_scheduler() -> None:
    """Round robin runs each incrementer to its end: no delay, no lost update. One delay
    (the second incrementer goes between the first one's load and store) loses it."""
    v0 = run_verify(LOST, 0, counting="delays")
    assert v0.witness is None and v0.complete
    v1 = run_verify(LOST, 1, counting="delays")
    assert v1.witness is not None
    assert what(v1.witness)[1] == "ASSERT"


@pytest.mark.parametrize("p", PROGRAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("bound", [0, 1, 2])
def test_the_delay_bound_reaches_no_more_than_the_preemption_bound(p: Program, bound: int) -> None:
    """A delay is at most one preemption, so D delays reach a subset of what D preemptions
    reach; the state reduction loses nothing under the delay bound either."""
    by_delays, vd = all_outcomes(p, bound, "none", "delays")
    reduced, _ = all_outcomes(p, bound, "state", "delays")
    by_preemptions, vp = all_outcomes(p, bound, "none")
    assert reduced == by_delays
    assert by_delays <= by_preemptions
    assert vd.executions <= vp.executions


def test_the_delay_bound_grows_with_the_bound_until_it_covers_the_program() -> None:
    outcomes = [all_outcomes(THREE, b, "none", "delays")[0] for b in (0, 1, 2)]
    assert outcomes[0] <= outcomes[1] <= outcomes[2]
    assert outcomes[0] != outcomes[2]


def test_an_unknown_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="counting"):
        verify(_build(LOCKED), lambda r: False, 1, counting="context")  # type: ignore[arg-type]


def test_an_unknown_reduction_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        verify(_build(LOCKED), lambda r: False, 1, reduction="dpor")  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("bound", [3, 4])
def test_the_reduction_never_loses_an_outcome_at_higher_bounds(bound: int) -> None:
    for p in PROGRAMS:
        plain, _ = all_outcomes(p, bound, "none")  # minutes for "three" at bound 4
        reduced, _ = all_outcomes(p, bound, "state")
        assert reduced == plain, p.name


# -- a search cut into pieces (pcemu verify -j) ------------------------------------------------


Outcome = tuple[str, str, str]
Roots = Sequence[tuple[Sequence[int], int]]


def _outcomes_of(
    p: Program, bound: int, roots: Roots, seen: dict[tuple[int, ...], int], limit: int
) -> tuple[set[Outcome], Verdict]:
    found: set[Outcome] = set()

    def note(r: RunResult) -> bool:
        if r.divergence is None:
            found.add(what(r))
        return False

    v = verify(_build(p), note, bound, p.budget, limit, roots=roots, seen=seen)  # type: ignore[arg-type]
    return found, v


@pytest.mark.parametrize("p", PROGRAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("stop_after", [1, 3, 7])
def test_a_search_taken_up_from_its_frontier_is_the_same_search(
    p: Program, stop_after: int
) -> None:
    """Stopped after a few executions and taken up from the prefixes it left, with the same
    state table, the search makes the same executions and reaches the same outcomes."""
    whole, w = all_outcomes(p, 2, "state")
    seen: dict[tuple[int, ...], int] = {}
    first, a = _outcomes_of(p, 2, (((), 0),), seen, stop_after)
    assert not a.complete and a.frontier
    rest, b = _outcomes_of(p, 2, a.frontier, seen, 10**6)
    assert b.complete and not b.frontier
    assert first | rest == whole
    assert a.executions + b.executions == w.executions


@pytest.mark.parametrize("p", PROGRAMS, ids=lambda p: p.name)
def test_a_frontier_spread_over_searches_with_their_own_tables_loses_nothing(p: Program) -> None:
    """What ``verify -j`` does: the prefixes left by one search are taken up by several, each
    with its own state table, and the pieces left by those again; together they reach every
    outcome of the whole search."""
    whole, _ = all_outcomes(p, 2, "state")
    plain, _ = all_outcomes(p, 2, "none")
    assert whole == plain
    tables: list[dict[tuple[int, ...], int]] = [{}, {}]
    reached, v = _outcomes_of(p, 2, (((), 0),), tables[0], 2)
    queue = list(v.frontier)
    turn = 0
    while queue:
        # Two prefixes at a time, to alternate tables, three executions each.
        roots, queue = queue[:2], queue[2:]
        found, v = _outcomes_of(p, 2, roots, tables[turn % 2], 3)
        reached |= found
        queue = v.frontier + queue
        turn += 1
    assert reached == whole
