"""Coverage in the soak (reads-from pairs and conflict orders per scenario) and rff lanes: shown
live, on /metrics and in the summary; never lower after SIGKILL and --resume; an rff finding
replays from its trace, and the self-check replays rff runs instead of calling them
nondeterministic."""

from __future__ import annotations

import json
import os
import re
import signal
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.soak_helpers import Soak, committed_batches, crash, pcemu, query, wait_for

TWO = "fault-vs-invalidate2,anon-vma-reuse"


def metrics(out: Path) -> dict[tuple[str, str], float]:
    """The coverage gauges of a running soak: (metric, scenario) -> value."""
    base = (out / "endpoint").read_text().strip()
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    found = re.findall(r'^(pcemu_coverage_\w+)\{scenario="([^"]+)"\} (\S+)$', text, re.M)
    return {(m, s): float(v) for m, s, v in found}


def heartbeats(soak: Soak) -> list[dict[str, Any]]:
    """The heartbeat lines, then the closing line (the snapshot the summary is made from)."""
    lines = [json.loads(ln) for ln in soak.stderr.read_text().splitlines() if ln.startswith("{")]
    return [d for d in lines if d.get("event") in ("soak.heartbeat", "soak.end")]


def stored(out: Path) -> dict[str, set[tuple[str, str, str]]]:
    """The store's coverage: scenario -> {(kind, a, b)}."""
    by: dict[str, set[tuple[str, str, str]]] = {}
    for sc, kind, a, b in query(out, "SELECT scenario, kind, a, b FROM coverage"):
        by.setdefault(sc, set()).add((kind, a, b))
    return by


def counts(cov: dict[str, set[tuple[str, str, str]]]) -> dict[str, dict[str, int]]:
    return {
        sc: {
            "reads_from": sum(1 for k in rows if k[0] == "rf"),
            "conflict_orders": sum(1 for k in rows if k[0] == "order"),
        }
        for sc, rows in cov.items()
    }


def test_coverage_grows_and_shows_live_on_metrics_and_in_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios", TWO, "--variants", "buggy", "--strategies", "chaos,rff",
        "--workers", "2", "--duration", "10m", "--selfcheck", "0",
        cwd=tmp_path,
    )  # fmt: skip
    # Stopped by SIGTERM once /metrics was read, not by a short --duration: on a loaded machine
    # a short soak could end before the test looked at its endpoint.
    wait_for(lambda: (out / "endpoint").exists(), 60, "the status endpoint", soak)
    wait_for(
        lambda: metrics(out).get(("pcemu_coverage_reads_from", "fault-vs-invalidate2"), 0) > 0,
        30,
        "a reads-from pair on /metrics",
        soak,
    )
    live = metrics(out)
    os.kill(soak.proc.pid, signal.SIGTERM)
    assert soak.wait(60) == 143, soak.log()

    s = soak.summary()
    by = counts(stored(out))
    assert set(by) == {"fault-vs-invalidate2", "anon-vma-reuse"}
    assert s["coverage_by_scenario"] == by
    assert s["coverage_reads_from"] == sum(c["reads_from"] for c in by.values()) > 0
    assert s["coverage_conflict_orders"] == sum(c["conflict_orders"] for c in by.values()) > 0
    # A fresh store: everything it holds was found in this session, in the last minute.
    new = {"reads_from": s["coverage_reads_from"], "conflict_orders": s["coverage_conflict_orders"]}
    assert s["coverage_this_session"] == new == s["coverage_last_minute"]
    # What /metrics showed while running was the store's coverage then: never above the end.
    for (metric, sc), v in live.items():
        key = "reads_from" if metric == "pcemu_coverage_reads_from" else "conflict_orders"
        assert 0 <= v <= by[sc][key]
    # The heartbeat lines carry it too, and it only ever grows.
    beats = heartbeats(soak)
    assert beats and beats[-1]["event"] == "soak.end", soak.log()
    totals = [(b["coverage_reads_from"], b["coverage_conflict_orders"]) for b in beats]
    assert totals == sorted(totals)
    assert totals[-1] == (s["coverage_reads_from"], s["coverage_conflict_orders"])
    text = soak.stdout.read_text()
    assert (
        f"coverage: {s['coverage_reads_from']} reads-from pairs, "
        f"{s['coverage_conflict_orders']} conflict orders in all sessions" in text
    )


def test_coverage_after_sigkill_and_resume_is_never_lower(tmp_path: Path) -> None:
    out = tmp_path / "soak"
    args = (
        "--scenarios", TWO, "--variants", "buggy", "--strategies", "chaos,pos",
        "--workers", "2", "--batch", "20", "--seeds", "100000", "--selfcheck", "0",
    )  # fmt: skip
    first = Soak(out, *args, cwd=tmp_path)
    wait_for(
        lambda: committed_batches(out) >= 8 and len(stored(out)) == 2,
        60,
        "committed batches with coverage of both scenarios",
        first,
    )
    crash(first)
    before = stored(out)

    again = Soak(out, *args, "--duration", "2s", "--resume", cwd=tmp_path)
    assert again.wait(60) == 0, again.log()
    after = stored(out)
    for sc, rows in before.items():
        assert rows <= after[sc]
    s = again.summary()
    assert s["coverage_by_scenario"] == counts(after)
    assert s["coverage_reads_from"] >= sum(c["reads_from"] for c in counts(before).values())
    # The resumed session counted from the store, and only what it added as its own.
    grown = sum(len(after[sc]) - len(before.get(sc, set())) for sc in after)
    assert sum(s["coverage_this_session"].values()) == grown
    assert heartbeats(again)[0]["coverage_reads_from"] >= sum(
        c["reads_from"] for c in counts(before).values()
    )


def test_an_rff_lane_replays_its_findings_and_its_selfcheck_is_not_nondeterminism(
    tmp_path: Path,
) -> None:
    out = tmp_path / "soak"
    seeds = 40
    soak = Soak(
        out,
        "--scenarios", "fault-vs-invalidate2", "--variants", "buggy", "--strategies", "rff",
        "--workers", "2", "--batch", "10", "--seeds", str(seeds), "--selfcheck", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert soak.wait(120) == 0, soak.log()
    s = soak.summary()
    # Every run was self-checked on the other worker, by replaying its recorded choices.
    assert s["selfchecks"] == seeds == s["selfcheck_replays"]
    assert s["nondeterministic"] == 0
    assert "rff runs, replayed from their recorded choices" in soak.stdout.read_text()
    rows = query(out, "SELECT sig, trace, strategy FROM findings")
    assert rows and all(r[1] and r[2] == "rff" for r in rows)
    # Its trace (the run's choices) reproduces it; its seed alone need not (the run learned).
    trace = min(r[1] for r in rows)
    done = pcemu("replay", "-q", str(out / trace), cwd=tmp_path)
    assert done.returncode == 0 and "replay: reproduced (violation" in done.stdout, done
    listing = pcemu("findings", str(out), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "pcemu replay" in listing.stdout and "pcemu run" not in listing.stdout
