"""Seeing a soak run: a live rich display on a terminal; off a terminal (``docker logs``), one
structlog JSON line per event and one heartbeat line every ``--heartbeat`` seconds.

These lines carry wall-clock timestamps: they are the service's log, not a run's log.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import structlog

from emulator.soak.rows import FindingRow
from emulator.soak.snapshot import Snapshot


class Progress:
    """No output at all (benchmarks, library use)."""

    interval = 3600.0

    def event(self, name: str, **kw: Any) -> None:
        pass

    def tick(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        pass

    def close(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        pass


class JsonProgress(Progress):
    def __init__(self, interval: float, out: TextIO | None = None) -> None:
        self.interval = interval
        self.log: Any = structlog.wrap_logger(
            structlog.PrintLogger(out or sys.stderr),
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )

    def event(self, name: str, **kw: Any) -> None:
        if name == "soak.finding":
            # An expected finding is routine; anything else is what the soak is for.
            (self.log.info if kw.get("expected") else self.log.warning)(name, **kw)
            return
        self.log.info(name, **kw)

    def tick(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        self.log.info("soak.heartbeat", **snap.as_json())

    def close(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        self.log.info("soak.end", **snap.as_json())


class RichProgress(Progress):
    interval = 0.5

    def __init__(self, out: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=out or sys.stderr)
        self.live = Live(console=self.console, auto_refresh=False, transient=False)
        self.live.start()

    def event(self, name: str, **kw: Any) -> None:
        if name == "soak.finding":
            what = (
                f"{kw['id']} {kw['kind']} {kw['scenario']}/{kw['variant']} {kw['oracle']} at "
                f"{kw['label']}  seed {kw['seed']} ({kw['strategy']})"
            )
            if kw.get("unsaved"):
                what += f"  [yellow]no reproducer files: {kw['unsaved']}[/]"
            if kw.get("expected"):
                self.console.print(f"[dim]finding (expected) {what}[/]")
            else:
                self.console.print(f"[bold white on red] UNEXPECTED [/] [bold red]{what}[/]")
        elif name == "soak.worker.replaced":
            where = (
                f" at {kw['scenario']}/{kw['variant']} seed {kw['seed']}" if "seed" in kw else ""
            )
            self.console.print(f"[yellow]worker {kw['worker']} replaced[/]: {kw['why']}{where}")
        elif name in ("soak.start", "soak.stopping", "soak.abandoning", "soak.nondeterminism"):
            detail = ", ".join(f"{k}={v}" for k, v in kw.items() if v is not None)
            self.console.print(f"[bold]{name}[/] {detail}")

    def tick(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        self.live.update(render(snap, findings), refresh=True)

    def close(self, snap: Snapshot, findings: Sequence[FindingRow]) -> None:
        self.live.update(render(snap, findings), refresh=True)
        self.live.stop()


def render(snap: Snapshot, findings: Sequence[FindingRow]) -> Any:
    from rich.console import Group
    from rich.table import Table

    planned = snap.planned_runs
    done = f"{snap.runs}" + (f" / {planned}" if planned else "")
    left = "" if snap.remaining_s is None else f"{_clock(snap.remaining_s)} left"
    loud = f"[bold red]{snap.unexpected} UNEXPECTED[/]" if snap.unexpected else "0 unexpected"
    head = Table.grid(padding=(0, 2))
    head.add_row(
        f"[bold]soak[/] {_clock(snap.elapsed_s)}",
        left,
        f"runs {done}",
        f"{snap.runs_per_s:.1f} runs/s",
        f"{snap.steps_per_s:.0f} steps/s",
        f"workers {snap.workers}",
        f"findings {snap.findings} ({loud})",
        f"restarts {snap.worker_restarts}",
        f"self-checks {snap.selfchecks}",
    )
    if snap.stopping:
        head.add_row(f"[yellow]stopping: {snap.stopping}[/]")
    seeds = Table(title="seeds done and " + snap.coverage_line(), title_justify="left", box=None)
    seeds.add_column("scenario")
    seeds.add_column("runs", justify="right")
    seeds.add_column("reads-from", justify="right")
    seeds.add_column("conflict orders", justify="right")
    for name, n in snap.runs_by_scenario.items():
        rf, o = snap.coverage_by_scenario.get(name, (0, 0))
        seeds.add_row(name, str(n), str(rf), str(o))
    found = Table(title="findings", title_justify="left", box=None)
    for col in ("id", "kind", "scenario", "variant", "oracle", "label", "count", "seed", "note"):
        found.add_column(col, justify="right" if col in ("count", "seed") else "left")
    # Unexpected findings first: they are what a person watching wants to see.
    for f in sorted(findings, key=lambda f: not f.unexpected)[:20]:
        style = "bold red" if f.unexpected else "dim"
        found.add_row(
            f.sig[:8],
            f.kind,
            f.scenario,
            f.variant,
            f.oracle,
            f.label,
            str(f.count),
            f"{f.seed} {f.strategy}",
            "UNEXPECTED" if f.unexpected else "expected",
            style=style,
        )
    return Group(head, seeds, found)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def choose(mode: str, heartbeat: float) -> Progress:
    if mode == "off":
        return Progress()
    if mode == "rich" or (mode == "auto" and sys.stderr.isatty()):
        return RichProgress()
    return JsonProgress(heartbeat)
