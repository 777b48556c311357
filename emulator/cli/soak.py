"""``pcemu soak`` and ``pcemu findings``."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import click

from emulator.cli import exits
from emulator.cli.options import PATH
from emulator.cli.output import Number, OneOf, Whole, echo_err
from emulator.engine import trio_run
from emulator.engine.strategies import STRATEGIES
from emulator.errors import BadInput
from emulator.run.inputs import same_file
from emulator.soak import shards
from emulator.soak.jobs import SoakConfig, SoakError
from emulator.soak.ledger import store_write_error
from emulator.soak.merge import merge as merge_stores
from emulator.soak.options import (
    check_counts,
    check_out,
    check_resume,
    check_scripts_kept,
    check_times,
    default_workers,
    make_lanes,
    parse_duration,
    parse_listen,
)
from emulator.soak.plan import Plan
from emulator.soak.progress import choose
from emulator.soak.store import DB_NAME, Store
from emulator.soak.summary import (
    Summary,
    finding_json,
    plural,
    render_findings,
    render_summary,
)
from emulator.soak.supervisor import Supervisor, exit_signal

DEFAULT_LISTEN = "127.0.0.1:9477"


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
    default=None,
    help="comma-separated names or script paths [default: every built-in scenario]",
)
@click.option(
    "--variants",
    default=None,
    help="comma-separated, e.g. buggy,fixed [default: every variant of each scenario]",
)
@click.option("--strategies", default=",".join(STRATEGIES), show_default=True)
@click.option("--workers", type=Whole(4), default=None, help="worker processes [default: cores]")
@click.option("--duration", default=None, help="stop after this long: 90s, 10m, 2h, 1d")
@click.option(
    "--seeds", type=Whole(1000), default=None, help="seeds [0, N) of every lane, then stop"
)
@click.option("--batch", type=Whole(50), default=50, show_default=True, help="seeds per batch")
@click.option(
    "--out",
    type=PATH,
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
    type=Number(0.05),
    default=0.05,
    show_default=True,
    help="fraction of runs re-run to check their trace hash",
)
@click.option(
    "--watchdog",
    type=Number(60),
    default=60.0,
    show_default=True,
    help="seconds a run may take before its worker counts as hung",
)
@click.option(
    "--grace",
    type=Number(20),
    default=20.0,
    show_default=True,
    help="seconds in-flight batches get to finish after SIGTERM/SIGINT",
)
@click.option(
    "--heartbeat",
    type=Number(10),
    default=10.0,
    show_default=True,
    help="seconds between JSON heartbeat lines (off a terminal)",
)
@click.option(
    "--progress",
    type=OneOf(["auto", "rich", "json", "off"], "a progress display"),
    default="auto",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=OneOf(["never", "unexpected"], "a policy"),
    default="never",
    show_default=True,
    help="unexpected: exit 1 if the store holds a finding that is not a violation its "
    "scenario declares (for CI)",
)
def soak(
    scenarios: str | None,
    variants: str | None,
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
    fail_on: str,
) -> None:
    """Hunt races over many scenarios and seeds in parallel, keeping every distinct finding.

    Stops when --seeds are done, --duration is over, or at SIGTERM/SIGINT (then exit 130 or
    143, after the summary). After a crash, --resume continues from the last committed batch."""
    with early_signals() as early:
        check_counts(workers, seeds, batch)
        check_times(heartbeat=heartbeat, watchdog=watchdog, grace=grace, selfcheck=selfcheck)
        seconds = parse_duration(duration) if duration is not None else None
        address = parse_listen(listen)
        lanes = make_lanes(scenarios, variants, strategies)
        check_out(out)
        check_scripts_kept(out, lanes)
        the_shard, shard_out = shards.resolve(shard, out)  # last: it locks (or claims) a dir
        try:
            if shard_out != out:  # --shard auto/N: a directory under --out
                out = shard_out
                check_scripts_kept(out, lanes)
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
    if summary.unwritten is not None:
        # After the store was committed: nothing recorded is lost, but the summary is not there.
        echo_err(f"pcemu: error: {summary.unwritten}")
    sys.exit(exit_status(summary, fail_on))


def exit_status(summary: Summary, fail_on: str) -> int:
    """2 if the summary could not be written (and no signal stopped the soak); else 1 if
    --fail-on unexpected and the store holds an unexpected finding; else 128 + the signal that
    stopped the soak (130 SIGINT, 143 SIGTERM); else 0."""
    signum = exit_signal(summary)
    if summary.unwritten is not None and signum is None:
        return exits.BAD
    if fail_on == "unexpected" and any(f.unexpected for f in summary.findings):
        return exits.FOUND
    return exits.CLEAN if signum is None else 128 + signum


def supervise(
    cfg: SoakConfig, plan: Plan, resume: bool, progress: str, early: list[int]
) -> Summary:
    """Open the store, run the supervisor to its end, close the store; the summary."""
    store = Store(cfg.out)
    try:
        plan = check_resume(store, resume, plan, cfg.out)
        sup = Supervisor(cfg, plan, store, choose(progress, cfg.heartbeat))
        sup.early_signals = early
        try:
            return trio_run.run(sup.run)
        except BaseException as exc:
            inner = _unwrap(exc)
            if isinstance(inner, SoakError):
                raise BadInput(str(inner)) from None
            raise inner from None
    except sqlite3.Error as exc:
        # A store that reads but cannot be written (read-only, its -shm or -wal file unusable):
        # nothing of this session is in it.
        raise BadInput(store_write_error(store.path, exc)) from None
    finally:
        with contextlib.suppress(Exception):
            store.close(checkpoint=True)


@click.command()
@click.argument("directory", type=PATH)
@click.option(
    "--merge",
    "merge",
    multiple=True,
    type=PATH,
    help="merge this soak directory's store into DIRECTORY first (repeatable)",
)
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON")
def findings(directory: Path, merge: Sequence[Path], as_json: bool) -> None:
    """List the findings of a soak directory, each with the command that reproduces it.

    With --merge, first merge other soak directories (other shards, other machines) into it."""
    if merge and directory.exists() and not directory.is_dir():
        raise BadInput(f"{str(directory)!r} is a file; give the directory to merge into")
    for other_dir in merge:
        if same_file(other_dir, directory) or same_file(other_dir / DB_NAME, directory / DB_NAME):
            raise BadInput(f"--merge {str(other_dir)!r} is DIRECTORY itself; merge another")
    ran_by: dict[str, Path] = {}  # the pcemu version that ran each store's seeds
    for other_dir in [*merge, *([directory] if merge and (directory / DB_NAME).exists() else [])]:
        # Every store to merge is read and checked before DIR is made or written: a damaged
        # one is refused with nothing merged, not after the stores before it.
        other = Store(other_dir, create=False)
        try:
            other.check()
            version = other.meta("pcemu") if other.has_batches() else None
        finally:
            other.close(checkpoint=False)
        if version is not None:
            ran_by.setdefault(version, other_dir)
    if len(ran_by) > 1:
        (v1, d1), (v2, d2) = list(ran_by.items())[:2]
        raise BadInput(
            f"{str(d1)!r} was run by pcemu {v1}, {str(d2)!r} by pcemu {v2}; merge stores of "
            "one version only (the same seeds may be other runs in another version)"
        )
    store = Store(directory, create=bool(merge))
    try:
        _merge_all(store, merge, as_json)
        rows = store.findings()
        if as_json:
            data: Any = [finding_json(f, directory) for f in rows]
            click.echo(json.dumps(data, indent=2))
        else:
            for line in render_findings(rows, directory):
                click.echo(line)
    finally:
        store.close(checkpoint=bool(merge))


def _merge_all(store: Store, merge: Sequence[Path], as_json: bool) -> None:
    """Merge each store of ``merge`` into ``store``; a write ``store`` refuses is one line
    (merging again later adds only what is not in it yet)."""
    try:
        for other_dir in merge:
            other = Store(other_dir, create=False)
            try:
                n = merge_stores(store, other)
            finally:
                other.close(checkpoint=False)
            click.echo(
                f"merged {other_dir}: {n.batches} of {plural(n.of, 'batch')} new, "
                f"{plural(n.findings, 'finding')}",
                err=as_json,
            )
    except sqlite3.Error as exc:
        raise BadInput(store_write_error(store.path, exc, "run the same command again")) from None
