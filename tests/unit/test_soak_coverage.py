"""Coverage and rff in the soak, below the process level: what a worker runs and sends, what the
store keeps, what the listing says."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from emulator.engine.coverage import Coverage
from emulator.run.session import RunSpec, execute
from emulator.soak import protocol
from emulator.soak.merge import merge
from emulator.soak.plan import Lane
from emulator.soak.protocol import Item, ItemResult, NewCoverage
from emulator.soak.rows import BatchRow, FindingRow
from emulator.soak.runner import Runner
from emulator.soak.store import Store
from emulator.soak.store_coverage import ORDER, RF
from emulator.soak.summary import render_findings, repro
from emulator.soak.worker import run_item

SCEN = "fault-vs-invalidate2"


def test_a_worker_sends_each_pair_once_and_the_union_is_the_runs_coverage() -> None:
    runner = Runner()
    sent = Coverage()
    union = Coverage()
    for seed in range(12):
        spec = RunSpec(scenario=SCEN, variant="buggy", seed=seed, strategy="chaos")
        _scen, result, new = runner.run(spec)
        assert new is not None and result.coverage is not None
        union.add(result.coverage)
        # Nothing sent twice ...
        assert not set(new.reads_from) & sent.reads_from
        assert not set(new.orders) & sent.orders
        sent.add(Coverage(set(new.reads_from), set(new.orders)))
    # ... and nothing left out.
    assert sent == union and union.reads_from and union.orders
    # The same seed again shows nothing new.
    spec = RunSpec(scenario=SCEN, variant="buggy", seed=3, strategy="chaos")
    assert not runner.run(spec)[2]


def test_tracking_coverage_changes_no_run() -> None:
    runner = Runner()
    for strategy in ("mix", "chaos", "random", "pct", "pos", "surw"):  # mix: odd seeds too
        for seed in range(4):
            spec = RunSpec(scenario=SCEN, variant="buggy", seed=seed, strategy=strategy)
            want = execute(spec)[1].outcome.trace_hash
            assert runner.run(spec)[1].outcome.trace_hash == want, (strategy, seed)


def test_an_rff_lane_learns_across_a_workers_runs_and_its_choices_replay_strictly() -> None:
    runner = Runner()
    lane = Lane(SCEN, "buggy", "rff")
    results = [run_item(lane, seed, True, None, {}, runner=runner) for seed in range(20)]
    corpus = runner.campaigns[(SCEN, "buggy")]
    assert corpus.runs == 20 and corpus.entries  # one campaign for the lane, fed by every run
    for seed, r in enumerate(results):
        assert r.choices is not None and r.trace_hash is not None
        # The self-check of such a run, on a fresh worker: its recorded choices, replayed.
        again = run_item(lane, seed, True, None, {}, check=True, runner=Runner(), replay=r.choices)
        assert again.trace_hash == r.trace_hash and again.coverage is None
    # Other strategies send no choices: their seed is their self-check.
    plain = run_item(Lane(SCEN, "buggy", "pos"), 0, True, None, {}, runner=runner)
    assert plain.choices is None


def test_results_and_items_cross_the_wire_with_coverage_and_choices() -> None:
    lane = Lane(SCEN, "buggy", "rff")
    r = run_item(lane, 0, True, None, {}, runner=Runner())
    assert r.coverage and r.choices
    raw = protocol.unpacker()
    raw.feed(protocol.pack(r.wire(3)))
    (msg,) = list(raw)
    assert protocol.from_worker(msg) == (3, r)
    # A result of the old shape (four fields) still decodes.
    assert protocol.from_worker([0, 5, None, None]) == (0, ItemResult(5))
    job = protocol.Job(1, True, (Item(0, 0, True, r.choices), Item(0, 1, True)), {})
    assert protocol.to_worker(job.wire()) == job


def _row(k: int) -> BatchRow:
    return BatchRow("x|buggy|chaos", "0/1", k, k, k, 1, 10, 0)


def test_the_store_keeps_coverage_with_its_batch_and_merges_it(tmp_path: Path) -> None:
    a = Store(tmp_path / "a")
    a.commit_batch(_row(0), [], 1, [("x", RF, "R1", ""), ("x", ORDER, "W1", "R1")])
    a.commit_batch(_row(1), [], 1, [("x", RF, "R1", ""), ("y", RF, "R2", "W2")])
    cov = a.coverage()
    assert cov["x"] == Coverage({("R1", "")}, {("W1", "R1")})
    assert cov["y"].reads_from == {("R2", "W2")}
    a.close()
    b = Store(tmp_path / "b")
    b.commit_batch(_row(5), [], 1, [("x", RF, "R9", "W9")])
    assert merge(b, Store(tmp_path / "a")).coverage == 3
    assert b.coverage()["x"].reads_from == {("R1", ""), ("R9", "W9")}


def test_a_store_written_before_coverage_gains_it(tmp_path: Path) -> None:
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "findings.db")
    db.execute("DROP TABLE coverage")
    db.commit()
    db.close()
    store = Store(tmp_path)
    assert store.coverage() == {}
    store.commit_batch(_row(0), [], 1, [("x", RF, "R1", "")])
    assert store.coverage()["x"].reads_from == {("R1", "")}


def _finding(strategy: str, trace: str | None) -> FindingRow:
    spec = RunSpec(scenario=SCEN, variant="buggy", seed=7, strategy=strategy)
    return FindingRow(
        "0123456789abcdef", "hang", SCEN, "buggy", "watchdog", "-", "m", False, 1, 7,
        strategy, spec, None, trace, 0.0, 0.0, "No space left on device",
    )  # fmt: skip


def test_an_rff_finding_is_never_listed_with_a_seed_command(tmp_path: Path) -> None:
    with_trace = _finding("rff", "findings/0123456789abcdef/rff-7.pctrace")
    assert repro(with_trace, tmp_path) == (
        f"pcemu replay {tmp_path}/findings/0123456789abcdef/rff-7.pctrace"
    )
    without = _finding("rff", None)
    assert repro(without, tmp_path) is None
    text = "\n".join(render_findings([without], tmp_path))
    assert "pcemu run" not in text and "recorded choices" in text
    # A seeded strategy's finding without files is still reproduced by its seed.
    assert "pcemu run" in (repro(_finding("chaos", None), tmp_path) or "")


def test_new_coverage_is_false_when_empty() -> None:
    assert not NewCoverage() and NewCoverage((("a", "b"),))
