"""Deduplication, the determinism self-check, and shards merged back into one store."""

from __future__ import annotations

from pathlib import Path

from emulator.soak.plan import Lane, Plan, Shard
from tests.e2e.soak_helpers import Soak, expected_findings, findings, pcemu, query, script

SEEDS = 300
LANE = Lane("anon-vma-reuse", "buggy", "chaos")
ARGS = (
    "--scenarios",
    "anon-vma-reuse",
    "--variants",
    "buggy",
    "--strategies",
    "chaos",
    "--batch",
    "25",
    "--seeds",
    str(SEEDS),
)


def test_the_same_race_from_many_seeds_is_one_finding_with_a_count(tmp_path: Path) -> None:
    out = tmp_path / "soak"
    # Every run is also re-run on the other worker (another hash seed): none may differ.
    many = 600  # anon-vma-reuse fails on about 2% of chaos seeds: enough of them to count
    args = (*ARGS[:-1], str(many))
    soak = Soak(out, *args, "--workers", "2", "--selfcheck", "1", cwd=tmp_path)
    assert soak.wait(120) == 0, soak.log()
    want = expected_findings(LANE, range(many))
    inv = want[("violation", "INV-LOCK-1", "W2")]
    assert inv[0] >= 5  # the same race, reached from many seeds ...
    got = findings(out)
    assert {(k[0], k[3], k[4]): (v[0], v[1]) for k, v in got.items()} == want  # ... one row
    # Only the reproducer (smallest seed) keeps its log and trace.
    files = sorted(p.name for p in (out / "findings").rglob("*") if p.is_file())
    assert len(files) == 2 * len(want)
    assert f"chaos-{inv[1]}.pctrace" in files and f"chaos-{inv[1]}.jsonl" in files
    s = soak.summary()
    assert s["selfchecks"] == many and s["nondeterministic"] == 0

    listing = pcemu("findings", str(out), cwd=tmp_path)
    assert listing.returncode == 0
    row = next(ln for ln in listing.stdout.splitlines() if "INV-LOCK-1" in ln and "W2" in ln)
    assert row.split()[6:8] == [str(inv[0]), str(inv[1])]
    # The listing's ID names the finding for `pcemu replay --finding`.
    done = pcemu("replay", "-q", "--finding", row.split()[0], "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0 and "replay: reproduced (violation" in done.stdout, done.stderr
    assert row.endswith(
        f"pcemu replay {out}/findings/{row.rsplit('/', 2)[1]}/chaos-{inv[1]}.pctrace"
    )


def test_selfcheck_reports_a_scenario_whose_trace_depends_on_more_than_its_seed(
    tmp_path: Path,
) -> None:
    nondet = script(tmp_path, "random")
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios",
        str(nondet),
        "--strategies",
        "chaos",
        "--seeds",
        "12",
        "--workers",
        "1",
        "--selfcheck",
        "1",
        cwd=tmp_path,
    )
    assert soak.wait(120) == 0, soak.log()
    s = soak.summary()
    assert s["selfchecks"] == 12 and s["nondeterministic"] >= 1
    (row,) = [v for k, v in findings(out).items() if k[0] == "nondeterminism"]
    assert row[0] == s["nondeterministic"]


def test_shards_never_overlap_and_merged_stores_equal_one_soak(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    soaks = [
        Soak(d, *ARGS, "--workers", "1", "--selfcheck", "0", "--shard", f"{i}/2", cwd=tmp_path)
        for i, d in enumerate((a, b))
    ]
    for s in soaks:
        assert s.wait(120) == 0, s.log()
    for i, d in enumerate((a, b)):
        lo = [r[0] for r in query(d, "SELECT seed_lo FROM batches")]
        assert lo and all(seed % 2 == i for seed in lo)
        assert query(d, "SELECT SUM(runs) FROM batches")[0][0] == SEEDS // 2

    merged = pcemu("findings", str(a), "--merge", str(b), cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    n = Plan((LANE,), Shard(1, 2), batch=25, seeds=SEEDS).batches_per_lane()
    assert n == 10  # 1, 2, 4, 8, 16 seeds, then 25 at a time: 150 seeds of a shard
    nb = len(findings(b))
    assert f"merged {b}: {n} of {n} batches new, {nb} finding{'s' if nb != 1 else ''}\n" in (
        merged.stdout
    )
    want = expected_findings(LANE, range(SEEDS))
    got = findings(a)
    assert {(k[0], k[3], k[4]): (v[0], v[1]) for k, v in got.items()} == want
    for _key, (_n, seed, strategy) in got.items():
        trace = query(a, "SELECT trace FROM findings WHERE seed = ?", seed)[0][0]
        assert (a / trace).is_file() and trace.endswith(f"{strategy}-{seed}.pctrace")
    # Merging the same store again adds nothing.
    again = pcemu("findings", str(a), "--merge", str(b), cwd=tmp_path)
    assert f"merged {b}: 0 of {n} batches new" in again.stdout
    assert findings(a) == got
