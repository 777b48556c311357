"""The findings store, signatures and the seed plan, without processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.engine.config import RunResult
from emulator.engine.events import PARKS
from emulator.run.session import RunSpec, execute
from emulator.soak.findings import Finding, classify
from emulator.soak.merge import Merged, merge
from emulator.soak.plan import Batch, Committed, Lane, Plan, Shard
from emulator.soak.rows import BatchRow, Hit, merge_hits
from emulator.soak.store import Store
from emulator.soak.summary import render_findings
from tests.e2e.soak_helpers import script, truncated_seeds

RACE = Finding("violation", "anon-vma-reuse", "buggy", "INV-ID-1", "A7", "reuse", True)


def hit(seed: int, strategy: str = "chaos", f: Finding = RACE, files: bool = True) -> Hit:
    spec = RunSpec(scenario=f.scenario, variant=f.variant, seed=seed, strategy=strategy)
    stem = f"findings/{f.sig}/{strategy}-{seed}"
    if files:
        return Hit(f, 1, seed, strategy, spec, f"{stem}.jsonl", f"{stem}.pctrace")
    return Hit(f, 1, seed, strategy, spec)


def row(k: int, lane: str = "anon-vma-reuse|buggy|chaos", shard: str = "0/1") -> BatchRow:
    return BatchRow(lane, shard, k, k * 10, k * 10 + 9, 10, 300, 1)


def touch(store: Store, *hits: Hit) -> None:
    for h in hits:
        for rel in (h.log, h.trace):
            if rel:
                (store.dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (store.dir / rel).write_text(rel)


def test_signature_is_kind_scenario_variant_oracle_label() -> None:
    same = Finding("violation", "anon-vma-reuse", "buggy", "INV-ID-1", "A7", "other words")
    assert same.sig == RACE.sig  # the message and expectation do not split a finding
    for other in (
        Finding("violation", "anon-vma-reuse", "fixed", "INV-ID-1", "A7", "reuse"),
        Finding("violation", "anon-vma-reuse", "buggy", "INV-LOCK-1", "A7", "reuse"),
        Finding("violation", "anon-vma-reuse", "buggy", "INV-ID-1", "A8", "reuse"),
        Finding("hang", "anon-vma-reuse", "buggy", "INV-ID-1", "A7", "reuse"),
    ):
        assert other.sig != RACE.sig


def test_merge_hits_counts_and_keeps_the_smallest_seed() -> None:
    (m,) = merge_hits([hit(40), hit(7, "pct"), hit(7, "chaos"), hit(90)])
    assert (m.count, m.seed, m.strategy) == (4, 7, "chaos")
    assert m.trace == f"findings/{RACE.sig}/chaos-7.pctrace"


def test_commit_counts_repeats_keeps_smallest_seed_and_drops_stale_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    a, b, c = hit(50), hit(12), hit(70)
    touch(store, a, b, c)
    r1 = store.commit_batch(row(5), [a], 1)
    assert r1.inserted and r1.new_sigs == [RACE.sig] and r1.stale_files == []
    r2 = store.commit_batch(row(1), [b], 1)  # a smaller seed, committed later
    assert r2.stale_files == [a.log, a.trace]
    store.remove_files(r2.stale_files)
    r3 = store.commit_batch(row(7), [c], 1)  # a larger seed: its files are not kept
    assert r3.stale_files == [c.log, c.trace]
    store.remove_files(r3.stale_files)
    (f,) = store.findings()
    assert (f.count, f.seed, f.trace) == (3, 12, b.trace)
    left = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "findings").rglob("*.*"))
    assert left == sorted([b.log or "", b.trace or ""])
    assert store.totals()["runs"] == 30
    store.close()


def test_a_batch_is_committed_once(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit_batch(row(0), [hit(3, files=False)], 1)
    again = store.commit_batch(row(0), [hit(3, files=False)], 2)
    assert not again.inserted
    assert store.findings()[0].count == 1
    assert 0 in store.committed("0/1")["anon-vma-reuse|buggy|chaos"]
    store.close()


def test_merge_adds_only_new_batches_and_copies_better_reproducers(tmp_path: Path) -> None:
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    h_a, h_b = hit(20), hit(5)
    touch(a, h_a)
    touch(b, h_b)
    a.commit_batch(row(2, shard="0/2"), [h_a], 1)
    b.commit_batch(row(0, shard="1/2"), [h_b], 1)
    b.commit_batch(row(1, shard="1/2"), [], 1)
    assert merge(a, b) == Merged(batches=2, of=2, findings=1)
    (f,) = a.findings()
    assert (f.count, f.seed) == (2, 5)
    assert (a.dir / str(f.trace)).read_text() == h_b.trace
    assert merge(a, b).batches == 0  # idempotent
    assert a.findings()[0].count == 2
    a.close()
    b.close()


def test_shards_partition_the_seeds_of_every_lane() -> None:
    lanes = (Lane("s", "buggy", "chaos"), Lane("s", "fixed", "chaos"))
    seen: dict[str, list[int]] = {}
    for i in range(3):
        plan = Plan(lanes, Shard(i, 3), batch=4, seeds=20)
        for b in plan.batches({}):
            seen.setdefault(lanes[b.lane].key, []).extend(b.seeds)
    for seeds in seen.values():
        assert sorted(seeds) == list(range(20))


def test_batches_are_round_robin_and_skip_committed_ones() -> None:
    lanes = (Lane("s", "buggy", "chaos"), Lane("s", "buggy", "pct"))
    plan = Plan(lanes, Shard(), batch=10, seeds=35, ramp=False)
    done = {lanes[0].key: Committed.of(iter([0, 2]))}
    got = [(b.lane, b.k) for b in plan.batches(done)]
    assert got == [(1, 0), (0, 1), (1, 1), (1, 2), (0, 3), (1, 3)]
    assert list(plan.batches({}))[-1] == Batch(1, 3, tuple(range(30, 35)))


def test_committed_keeps_a_frontier_and_the_few_above_it() -> None:
    c = Committed.of(iter([0, 1, 2, 4, 7]))
    assert (c.frontier, c.above) == (3, frozenset({4, 7}))
    assert [k for k in range(9) if k in c] == [0, 1, 2, 4, 7]


def test_selfcheck_sample_is_a_fixed_fraction_of_runs() -> None:
    lane = Lane("anon-vma-reuse", "buggy", "chaos")
    plan = Plan((lane,), selfcheck=0.05)
    picked = [s for s in range(4000) if plan.checked(lane, s)]
    assert 120 < len(picked) < 280
    assert picked == [s for s in range(4000) if plan.checked(lane, s)]
    assert not Plan((lane,), selfcheck=0).checked(lane, picked[0])


def test_shard_parse_rejects_bad_values() -> None:
    from emulator.errors import BadInput

    assert Shard.parse("1/4") == Shard(1, 4)
    for bad in ("4/4", "1", "a/b", "0/0"):
        with pytest.raises(BadInput, match="--shard"):
            Shard.parse(bad)


@pytest.mark.parametrize(
    ("mode", "kind", "oracle", "label"),
    [
        ("raise", "emulator-error", "RuntimeError@soak_raise.py:", "D2"),
        ("loop", "hang", "step-budget", "L1"),
    ],
)
def test_classify_names_errors_and_budget_hangs(
    mode: str, kind: str, oracle: str, label: str, tmp_path: Path
) -> None:
    lane = Lane(str(script(tmp_path, mode)), "buggy", "chaos")
    seed = truncated_seeds(tmp_path, range(300))[0]  # one where CPU0 finds the page truncated
    scen, result = execute(lane.spec(seed))
    f = classify(scen, lane.scenario, lane.variant, result)
    assert f is not None and f.kind == kind and f.oracle.startswith(oracle)
    assert f.label == label and f.scenario == lane.scenario


def test_findings_listing_ends_every_row_with_its_reproduce_command(tmp_path: Path) -> None:
    store = Store(tmp_path)
    hang = Finding("hang", "anon-vma-reuse", "fixed", "watchdog", "-", "no progress")
    store.commit_batch(row(0), [hit(3), hit(8, "pct", hang, files=False)], 1)
    lines = render_findings(store.findings(), tmp_path)
    assert lines[0].split()[-1] == "REPLAY"
    assert lines[1].endswith("pcemu run anon-vma-reuse --variant fixed --seed 8 --strategy pct")
    assert lines[2].endswith(f"pcemu replay {tmp_path}/findings/{RACE.sig}/chaos-3.pctrace")
    store.close()


def test_auto_shards_are_claimed_once_each_until_released(tmp_path: Path) -> None:
    from emulator.errors import BadInput
    from emulator.soak import shards

    try:
        got = [shards.resolve("auto/2", tmp_path) for _ in range(2)]
        assert got == [
            (Shard(0, 2), tmp_path / "shard-0-of-2"),
            (Shard(1, 2), tmp_path / "shard-1-of-2"),
        ]
        with pytest.raises(BadInput, match=r"all 2 shards .* are taken by running soaks"):
            shards.resolve("auto/2", tmp_path)
        assert shards.resolve("1/2", tmp_path) == (Shard(1, 2), tmp_path)
        with pytest.raises(BadInput, match="another soak is running in --out"):
            shards.resolve("0/1", tmp_path)
    finally:
        shards.release_all()
    assert shards.resolve("auto/2", tmp_path)[0] == Shard(0, 2)
    shards.release_all()


def _parked_in(result: RunResult) -> dict[str, str]:
    """Each actor's last request whose step parked it: what it waits on at the end."""
    waits: dict[str, str] = {}
    for e in result.events:
        d = e.decode()
        name = result.actor_names[d.actor]
        if d.status == PARKS:
            waits[name] = d.op
        else:
            waits.pop(name, None)
    return waits


def test_a_deadlock_is_one_finding_whichever_actor_closed_the_cycle() -> None:
    """The ABBA cycle of fuse-write-deadlock (T1 and T2 each parked in lock_page on the page
    the other holds), once closed at T1 and once at T2, is one finding. buggy-abba deadlocks
    in other cycles too (one writer in wait_on_page_locked instead of lock_page: another set
    of waits, another finding), so the runs are chosen by what the two writers are parked in
    (the trace), not by the finding's label, which is what is checked. Seeds are searched: no
    seed is known to close the cycle at a given actor."""
    seen = {}
    for seed, strategy in ((s, st) for s in range(200) for st in ("chaos", "random")):
        spec = RunSpec(
            scenario="fuse-write-deadlock", variant="buggy-abba", seed=seed, strategy=strategy
        )
        scen, result = execute(spec)
        v = result.outcome.violation
        if v is None or v.actor in seen:
            continue
        assert v.oracle == "INV-DL-1"
        parked = _parked_in(result)
        if (parked.get("T1"), parked.get("T2")) != ("lock_page", "lock_page"):
            continue  # another cycle
        f = classify(scen, spec.scenario, spec.variant, result)
        assert f is not None
        seen[v.actor] = f
        if len(seen) == 2:
            break
    assert set(seen) == {"T1", "T2"}  # the cycle closed at another actor each time ...
    (label,) = {f.label for f in seen.values()}  # ... and it is one finding: its lock set
    assert label == "lock_page(page#13)+lock_page(page#5)"
    assert len({f.sig for f in seen.values()}) == 1
