"""``pcemu soak`` and ``pcemu findings``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import click
import trio

from emulator.cli import exits
from emulator.engine.strategies import STRATEGIES
from emulator.errors import BadInput
from emulator.run.catalog import builtin, is_script, load
from emulator.run.session import validate
from emulator.soak import shards
from emulator.soak.jobs import SoakConfig, SoakError
from emulator.soak.plan import Lane, Plan
from emulator.soak.progress import choose
from emulator.soak.store import Store
from emulator.soak.summary import finding_dict, render_findings, render_summary
from emulator.soak.supervisor import Supervisor

DEFAULT_LISTEN = "127.0.0.1:9477"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """10m, 2h, 1h30m, 1d, 45s, or plain seconds."""
    t = text.strip().lower()
    try:
        seconds = float(t)
    except ValueError:
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", t)
        if not parts or "".join(n + u for n, u in parts) != t:
            raise BadInput(
                f"--duration {text!r} is not a duration; write e.g. 90s, 10m, 2h, 1h30m or 1d"
            ) from None
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise BadInput(f"--duration {text!r} must be longer than zero")
    return seconds


def parse_listen(text: str) -> tuple[str, int] | None:
    """HOST:PORT, [V6]:PORT, :PORT (127.0.0.1) or off."""
    if text.strip().lower() in ("off", "none", "no", ""):
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise BadInput(
            f"--listen {text!r} is not HOST:PORT; write e.g. --listen 127.0.0.1:9477 "
            "(port 0 picks a free one) or --listen off"
        )
    return host, int(port)


def _csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def make_lanes(scenarios: str, variants: str, strategies: str) -> tuple[Lane, ...]:
    names = _csv(scenarios) or list(builtin())
    if not names:
        raise BadInput("no scenarios installed; run `pip install -e .` or pass --scenarios")
    strats = _csv(strategies)
    for s in strats:
        if s not in STRATEGIES:
            raise BadInput(
                f"unknown strategy {s!r} in --strategies; use some of: " + ",".join(STRATEGIES)
            )
    if not strats:
        raise BadInput("--strategies is empty; use some of: " + ",".join(STRATEGIES))
    wanted = _csv(variants)
    lanes: list[Lane] = []
    used: set[str] = set()
    for name in dict.fromkeys(names):
        scen = load(name)
        key = str(Path(name).resolve()) if is_script(name) else scen.name
        for v in scen.variants:
            if wanted and v not in wanted:
                continue
            used.add(v)
            for s in strats:
                lane = Lane(key, v, s)
                validate(lane.spec(0))
                lanes.append(lane)
    unknown = [v for v in wanted if v not in used]
    if unknown:
        raise BadInput(
            f"variant {unknown[0]!r} in --variants is not a variant of any chosen scenario; "
            "see `pcemu list`"
        )
    return tuple(lanes)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_resume(store: Store, resume: bool, plan: Plan, out: Path) -> None:
    """A soak directory is continued only on purpose, and only with the same seed layout."""
    if store.has_batches() and not resume:
        raise BadInput(
            f"--out {str(out)!r} already holds a soak; pass --resume to continue it, or give "
            "another --out"
        )
    want = {"batch": str(plan.batch), "shard": str(plan.shard), "seeds": str(plan.seeds)}
    have = {k: store.meta(k) for k in want}
    if store.has_batches():
        for k, v in want.items():
            if have[k] is not None and have[k] != v:
                flag = "--seeds" if k == "seeds" else f"--{k}"
                shown = "unbounded" if have[k] == "None" else have[k]
                raise BadInput(
                    f"the soak in {str(out)!r} was started with {flag} {shown}; resume it with "
                    f"the same {flag}, or start a new --out"
                )
    store.set_meta(**want)


def _unwrap(exc: BaseException) -> BaseException:
    """The one meaningful error inside trio's exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if isinstance(e, BadInput | SoakError)]
        exc = inner[0] if inner else exc.exceptions[0]
    return exc


@contextlib.contextmanager
def early_signals() -> Iterator[list[int]]:
    """SIGTERM/SIGINT that arrive before the supervisor's own receiver is in place are noted,
    not lost (the supervisor replays them); the previous handlers come back afterwards."""
    early: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        early.append(signum)

    old = {s: signal.signal(s, note) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield early
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@click.command()
@click.option(
    "--scenarios",
    default="",
    help="comma-separated names or script paths [default: every built-in scenario]",
)
@click.option(
    "--variants",
    default="",
    help="comma-separated, e.g. buggy,fixed [default: every variant of each scenario]",
)
@click.option("--strategies", default=",".join(STRATEGIES), show_default=True)
@click.option("--workers", type=int, default=None, help="worker processes [default: cores]")
@click.option("--duration", default=None, help="stop after this long: 90s, 10m, 2h, 1d")
@click.option("--seeds", type=int, default=None, help="seeds [0, N) of every lane, then stop")
@click.option("--batch", type=int, default=50, show_default=True, help="seeds per batch")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("soak-out"),
    show_default=True,
    help="findings store, artifacts and summary",
)
@click.option(
    "--resume", is_flag=True, help="continue the soak in --out after its last committed batch"
)
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    envvar="PCEMU_SHARD",
    help="I/N: this machine's share of the seeds (N machines never overlap); auto/N: claim "
    "a free shard I under --out, for N replicas sharing one volume [env: PCEMU_SHARD]",
)
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    help="status endpoint HOST:PORT (/healthz /metrics /findings), or off",
)
@click.option(
    "--selfcheck",
    type=float,
    default=0.05,
    show_default=True,
    help="fraction of runs re-run to check their trace hash",
)
@click.option(
    "--watchdog",
    type=float,
    default=60.0,
    show_default=True,
    help="seconds a run may take before its worker counts as hung",
)
@click.option(
    "--grace",
    type=float,
    default=20.0,
    show_default=True,
    help="seconds in-flight batches get to finish after SIGTERM/SIGINT",
)
@click.option(
    "--heartbeat",
    type=float,
    default=10.0,
    show_default=True,
    help="seconds between JSON heartbeat lines (off a terminal)",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "rich", "json", "off"]),
    default="auto",
    show_default=True,
)
def soak(
    scenarios: str,
    variants: str,
    strategies: str,
    workers: int | None,
    duration: str | None,
    seeds: int | None,
    batch: int,
    out: Path,
    resume: bool,
    shard: str,
    listen: str,
    selfcheck: float,
    watchdog: float,
    grace: float,
    heartbeat: float,
    progress: str,
) -> None:
    """Hunt races over many scenarios and seeds in parallel, keeping every distinct finding.

    Stops when --seeds are done, --duration is over, or at SIGTERM/SIGINT (exit 0 with a
    summary). After a crash, --resume continues from the last committed batch."""
    with early_signals() as early:
        for flag, value in (("--workers", workers), ("--seeds", seeds), ("--batch", batch)):
            if value is not None and value < 1:
                raise BadInput(f"{flag} {value} must be at least 1")
        if heartbeat <= 0:
            raise BadInput(f"--heartbeat {heartbeat:g} must be a positive number of seconds")
        if watchdog < 1:
            # Below a second, a loaded machine's pauses would pass for hung runs.
            raise BadInput(f"--watchdog {watchdog:g} is too short; give at least 1 second")
        if grace < 0:
            raise BadInput(f"--grace {grace:g} must be zero or more seconds")
        if not 0 <= selfcheck <= 1:
            raise BadInput(f"--selfcheck {selfcheck:g} must be a fraction between 0 and 1")
        seconds = parse_duration(duration) if duration is not None else None
        address = parse_listen(listen)
        lanes = make_lanes(scenarios, variants, strategies)
        the_shard, out = shards.resolve(shard, out)  # last: it locks (or claims) a directory
        try:
            plan = Plan(lanes, the_shard, batch, seeds, selfcheck)
            cfg = SoakConfig(
                out=out,
                workers=workers or default_workers(),
                duration=seconds,
                watchdog=watchdog,
                grace=grace,
                heartbeat=heartbeat,
                listen=address,
                argv=tuple(sys.argv),
            )
            summary = supervise(cfg, plan, resume, progress, early)
        finally:
            shards.release_all()
        click.echo(render_summary(summary))


def supervise(
    cfg: SoakConfig, plan: Plan, resume: bool, progress: str, early: list[int]
) -> dict[str, Any]:
    """Open the store, run the supervisor to its end, close the store; the summary."""
    store = Store(cfg.out)
    try:
        check_resume(store, resume, plan, cfg.out)
        sup = Supervisor(cfg, plan, store, choose(progress, cfg.heartbeat))
        sup.early_signals = early
        try:
            return trio.run(sup.run)
        except BaseException as exc:
            inner = _unwrap(exc)
            if isinstance(inner, SoakError):
                click.echo(f"pcemu: error: {inner}", err=True)
                sys.exit(exits.FOUND)
            raise inner from None
    finally:
        store.close(checkpoint=True)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--merge",
    "merge",
    multiple=True,
    type=click.Path(path_type=Path),
    help="merge this soak directory's store into DIRECTORY first (repeatable)",
)
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON")
def findings(directory: Path, merge: Sequence[Path], as_json: bool) -> None:
    """List the findings of a soak directory, each with the command that reproduces it.

    With --merge, first merge other soak directories (other shards, other machines) into it."""
    store = Store(directory, create=bool(merge))
    try:
        for other_dir in merge:
            if other_dir.resolve() == directory.resolve():
                raise BadInput(f"--merge {str(other_dir)!r} is DIRECTORY itself; merge another")
            other = Store(other_dir, create=False)
            try:
                n = store.merge(other)
            finally:
                other.close(checkpoint=False)
            click.echo(
                f"merged {other_dir}: {n['batches']} of {n['of']} batches new, "
                f"{n['findings']} findings",
                err=as_json,
            )
        rows = store.findings()
        if as_json:
            data: Any = [finding_dict(f, directory) for f in rows]
            click.echo(json.dumps(data, indent=2))
        else:
            for line in render_findings(rows, directory):
                click.echo(line)
    finally:
        store.close(checkpoint=bool(merge))
