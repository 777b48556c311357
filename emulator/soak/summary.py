"""What a soak leaves for people: ``summary.json`` and ``summary.txt`` in its directory, and the
findings listing with the command that reproduces each finding.

JSON output holds wall-clock times as ISO 8601 UTC strings; the reproduce commands and run
specs hold none."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.engine.strategies import has_campaign
from emulator.run.artifacts import run_command
from emulator.run.inputs import write_failure
from emulator.soak.progress import Progress
from emulator.soak.rows import FindingRow
from emulator.soak.snapshot import Final
from emulator.soak.store import Store

ID_CHARS = 8  # of the signature: what `pcemu replay --finding ID --out DIR` takes


def plural(n: int, word: str) -> str:
    """'1 run', '2 runs', '1 batch', '0 batches'."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("ch", "sh", "s", "x")) else f"{n} {word}s"


# What the listing says for a finding of a strategy with cross-run state (rff) that left no trace.
NO_REPRO = "-  (no trace: an rff run is reproduced by its recorded choices only, not its seed)"


def repro(f: FindingRow, directory: Path) -> str | None:
    """The one command to reproduce a finding: replay its trace when it has one, else run its
    seed (a watchdog hang, a dead worker or a full disk left no trace). A run of a strategy
    with cross-run state (rff) learned from the worker's earlier runs: its seed alone does not
    make it, so only its trace reproduces it (None without one)."""
    if f.trace:
        return shlex.join(["pcemu", "replay", str(directory / f.trace)])
    if has_campaign(f.strategy):
        return None
    return run_command(f.spec)


def finding_json(f: FindingRow, directory: Path) -> dict[str, Any]:
    d = f.as_json()
    d["id"] = f.sig[:ID_CHARS]
    d["note"] = note(f)
    d["repro"] = repro(f, directory)
    return d


def note(f: FindingRow) -> str:
    """A violation the scenario declares for this variant is expected; anything else is news."""
    return "UNEXPECTED" if f.unexpected else "expected"


def render_findings(rows: Sequence[FindingRow], directory: Path) -> list[str]:
    if not rows:
        return ["no findings"]
    head = ("ID", "KIND", "SCENARIO", "VARIANT", "ORACLE", "LABEL", "COUNT", "SEED", "STRATEGY")
    table = [(*head, "NOTE")]
    for f in rows:
        table.append(
            (
                f.sig[:ID_CHARS],
                f.kind,
                f.scenario,
                f.variant,
                f.oracle,
                f.label,
                str(f.count),
                str(f.seed),
                f.strategy,
                note(f),
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    out = []
    for n, r in enumerate(table):
        cells = "  ".join(c.ljust(widths[i]) for i, c in enumerate(r))
        out.append(
            cells + ("  REPLAY" if n == 0 else "  " + (repro(rows[n - 1], directory) or NO_REPRO))
        )
    unsaved = [f for f in rows if f.unsaved and not has_campaign(f.strategy)]
    if unsaved:
        out.append(
            f"{plural(len(unsaved), 'finding')} without reproducer files "
            f"({unsaved[0].unsaved}): their seeds reproduce them with the pcemu run above"
        )
    return out


@dataclass(frozen=True)
class Summary:
    final: Final
    out: Path
    store: dict[str, int]
    findings: tuple[FindingRow, ...]
    # Why summary.json or summary.txt could not be written (the one line the command ends
    # with, exit status 2; the store was committed before), or None.
    unwritten: str | None = None

    def as_json(self) -> dict[str, Any]:
        d = self.final.as_json()
        d["out"] = str(self.out)
        d["store"] = dict(self.store)
        d["workers_used"] = self.final.snap.workers_configured
        d["findings"] = [finding_json(f, self.out) for f in self.findings]
        return d


def render_summary(s: Summary) -> str:
    f, snap = s.final, s.final.snap
    lines = [
        f"soak {f.stop_reason}: {plural(snap.runs, 'run')}, {plural(snap.steps, 'step')} in "
        f"{snap.elapsed_s:.1f}s ({snap.runs_per_s:.1f} runs/s, {snap.steps_per_s:.0f} steps/s) "
        f"on {plural(snap.workers_configured, 'worker')}",
        f"batches: {snap.batches_committed} committed, {f.batches_abandoned} abandoned "
        f"(run again by --resume), {snap.batches_resumed} already in the store",
        f"self-check: {plural(snap.selfchecks, 'run')} re-run{_replays(snap.selfcheck_replays)}, "
        f"{snap.nondeterministic} nondeterministic; worker restarts: {snap.worker_restarts}",
        f"coverage: {snap.coverage_reads_from} reads-from pairs, "
        f"{snap.coverage_conflict_orders} conflict orders in all sessions; "
        f"+{snap.coverage_this_session[0]} and +{snap.coverage_this_session[1]} in this one",
        f"store: {plural(s.store['runs'], 'run')}, {plural(s.store['batches'], 'batch')} in all "
        f"sessions; {plural(len(s.findings), 'finding')}, {snap.unexpected} unexpected",
    ]
    if len(snap.coverage_by_scenario) > 1:
        width = max(len(name) for name in snap.coverage_by_scenario)
        lines += [
            f"  {name.ljust(width)}  {rf} reads-from, {o} conflict orders"
            for name, (rf, o) in snap.coverage_by_scenario.items()
        ]
    if f.duration_s is not None and (f.overrun_s or 0) >= 1:
        lines.append(f"ended {f.overrun_s:.1f}s after --duration {f.duration_s:g}s")
    lines += render_findings(s.findings, s.out) if s.findings else []
    return "\n".join(lines)


def _replays(n: int) -> str:
    if not n:
        return ""
    return (
        f" ({n} of them rff runs, replayed from their recorded choices: an rff run learns from "
        "its worker's earlier runs, so its seed alone does not make it)"
    )


def write_summary(out: Path, store: Store, final: Final, progress: Progress) -> Summary:
    """Write summary.json and summary.txt atomically; return the summary. A summary that
    cannot be written (a full disk, a directory in its place) is said once here and named by
    the summary's ``unwritten``; the caller still prints it, then fails with that line."""
    s = Summary(final, out, store.totals(), tuple(store.findings()))
    unwritten = None
    for name, text in (
        ("summary.json", json.dumps(s.as_json(), indent=2, sort_keys=True) + "\n"),
        ("summary.txt", render_summary(s) + "\n"),
    ):
        path = out / name
        try:
            _atomic(path, text)
        except OSError as exc:
            progress.event("soak.summary.unwritten", error=f"{exc.strerror or exc}", out=str(out))
            unwritten = unwritten or _unwritten(path, exc)
    return s if unwritten is None else dataclasses.replace(s, unwritten=unwritten)


def _unwritten(path: Path, exc: OSError) -> str:
    """The one line for a summary file that could not be written."""
    tmp = path.with_name(path.name + ".tmp")  # what _atomic writes first
    if path.is_dir():
        why, fix = "it is a directory", "move that directory away"
    elif tmp.is_dir():
        why, fix = f"{str(tmp)!r} is a directory", "move that directory away"
    else:
        why, fix = write_failure(exc, path.parent)
    return (
        f"cannot write the soak summary {str(path)!r} ({why}); {fix}, then run the same command "
        "with --resume to write it (every run is committed to the store)"
    )


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.is_file() or tmp.is_symlink():
            tmp.unlink()
