"""What a soak leaves for people: ``summary.json`` and ``summary.txt`` in its directory, and the
findings listing with the command that reproduces each finding."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator.run.artifacts import run_command
from emulator.run.session import RunSpec
from emulator.soak.store import FindingRow, Store


def repro(f: FindingRow, directory: Path) -> str:
    """The one command to reproduce a finding: replay its trace when it has one, else run its
    seed (a watchdog hang or a dead worker left no trace)."""
    if f.trace:
        return shlex.join(["pcemu", "replay", str(directory / f.trace)])
    spec = f.spec
    return run_command(
        RunSpec(
            scenario=str(spec["scenario"]),
            variant=str(spec["variant"]),
            seed=int(spec["seed"]),
            strategy=str(spec["strategy"]),
            strategy_params=dict(spec.get("strategy_params") or {}),
            schedule=str(spec.get("schedule", "seeded")),
            options=dict(spec.get("options") or {}),
            budget=spec.get("budget"),
        )
    )


def finding_dict(f: FindingRow, directory: Path) -> dict[str, Any]:
    d = f.as_dict()
    d["repro"] = repro(f, directory)
    return d


ID_CHARS = 8  # of the signature: what `pcemu replay --finding ID --out DIR` takes


def note(f: FindingRow) -> str:
    """A violation the scenario declares for this variant is expected; any other is news."""
    if f.kind != "violation":
        return "-"
    return "expected" if f.expected else "UNEXPECTED"


def render_findings(rows: Sequence[FindingRow], directory: Path) -> list[str]:
    if not rows:
        return ["no findings"]
    table = [
        (
            "ID",
            "KIND",
            "SCENARIO",
            "VARIANT",
            "ORACLE",
            "LABEL",
            "COUNT",
            "SEED",
            "STRATEGY",
            "NOTE",
        )
    ]
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
        out.append(cells + ("  REPLAY" if n == 0 else "  " + repro(rows[n - 1], directory)))
    return out


def render_summary(s: dict[str, Any]) -> str:
    lines = [
        f"soak {s['stop_reason']}: {s['runs']} runs, {s['steps']} steps in {s['elapsed_s']:.1f}s "
        f"({s['runs_per_s']:.1f} runs/s, {s['steps_per_s']:.0f} steps/s) on {s['workers_used']} "
        "workers",
        f"batches: {s['batches_committed']} committed, {s['batches_abandoned']} abandoned "
        f"(run again by --resume), {s['batches_resumed']} already in the store",
        f"self-check: {s['selfchecks']} runs re-run, {s['nondeterministic']} nondeterministic; "
        f"worker restarts: {s['worker_restarts']}",
        f"store: {s['store']['runs']} runs, {s['store']['batches']} batches in all sessions; "
        f"{len(s['findings'])} findings",
    ]
    out = Path(s["out"])
    rows = [FindingRow(**{k: v for k, v in f.items() if k != "repro"}) for f in s["findings"]]
    lines += render_findings(rows, out) if rows else []
    return "\n".join(lines)


def write_summary(out: Path, store: Store, snap: dict[str, Any]) -> dict[str, Any]:
    """Write summary.json and summary.txt atomically; return the summary."""
    s = dict(snap)
    s["out"] = str(out)
    s["store"] = store.totals()
    s["findings"] = [finding_dict(f, out) for f in store.findings()]
    s["workers_used"] = snap.get("workers_configured", snap.get("workers"))
    _atomic(out / "summary.json", json.dumps(s, indent=2, sort_keys=True) + "\n")
    _atomic(out / "summary.txt", render_summary(s) + "\n")
    return s


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
