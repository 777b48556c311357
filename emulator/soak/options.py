"""The values ``pcemu soak`` is given, checked: each bad one is one line naming the value and
the fix (BadInput, exit status 2), before any worker starts or any file is written."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from emulator import __version__
from emulator.engine.strategies import STRATEGIES
from emulator.errors import BadInput, cut
from emulator.run.catalog import builtin, is_script, load
from emulator.run.inputs import no_broken_link, same_file
from emulator.run.session import validate
from emulator.soak.plan import Lane, Plan, decimal
from emulator.soak.rows import BatchRow, StoreDamaged
from emulator.soak.store import Store

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_BATCH = 10_000  # seeds: a batch is what a kill loses and --resume runs again
MAX_SEEDS = 2**62  # seeds are stored as SQLite integers (signed 64-bit)
WORKERS_PER_CORE = 4  # a worker is a CPU-bound process of about 40 MB


def parse_duration(text: str) -> float:
    """10m, 2h, 1h30m, 1d, 45s, or plain seconds."""
    t = text.strip().lower()
    try:
        seconds = float(t)
    except ValueError:
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", t)
        if not parts or "".join(n + u for n, u in parts) != t:
            raise BadInput(
                f"--duration {cut(text)!r} is not a duration; write e.g. 90s, 10m, 2h, 1h30m or 1d"
            ) from None
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds <= 0:
        raise BadInput(
            f"--duration {cut(text)!r} must be a finite time longer than zero; write e.g. 10m or 2h"
        )
    return seconds


def check_out(out: Path) -> None:
    """--out is a directory this process can create files in (made if missing)."""
    no_broken_link(out, "--out")
    if out.exists() and not out.is_dir():
        raise BadInput(
            f"--out {str(out)!r} is a file, not a directory; give a directory (it is created "
            "if missing)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise BadInput(
            f"--out {str(out)!r} is not writable ({exc.strerror or exc}); give a directory "
            "you can write, or fix its permissions"
        ) from None


def check_counts(workers: int | None, seeds: int | None, batch: int) -> None:
    for flag, value in (("--workers", workers), ("--seeds", seeds), ("--batch", batch)):
        if value is not None and value < 1:
            raise BadInput(f"{flag} {cut(str(value))} must be at least 1")
    cores = default_workers()
    most = max(WORKERS_PER_CORE * cores, 4)
    if workers is not None and workers > most:
        raise BadInput(
            f"--workers {cut(str(workers))} is more than {most} ({WORKERS_PER_CORE} per usable "
            f"core, {cores} here): each worker is a CPU-bound process of about 40 MB, so more buy "
            f"nothing but memory; give at most {most}, or leave it out for one per core"
        )
    if batch > MAX_BATCH:
        raise BadInput(
            f"--batch {cut(str(batch))} is more than {MAX_BATCH}: a batch is what a kill loses and "
            f"--resume runs again; give at most {MAX_BATCH} (the default 50 is fine)"
        )
    if seeds is not None and seeds > MAX_SEEDS:
        raise BadInput(
            f"--seeds {cut(str(seeds))} is more than {MAX_SEEDS}; leave it out for no limit"
        )


def parse_listen(text: str) -> tuple[str, int] | None:
    """HOST:PORT, [V6]:PORT, :PORT (127.0.0.1) or off."""
    if text.strip().lower() in ("off", "none", "no", ""):
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    number = decimal(port) if sep and port == port.strip() else None
    if number is None or number >= 65536:
        raise BadInput(
            f"--listen {cut(text)!r} is not HOST:PORT; write e.g. --listen 127.0.0.1:9477 "
            "(port 0 picks a free one) or --listen off"
        )
    return host, number


def _csv(text: str, flag: str, what: str) -> list[str]:
    """A comma-separated list given to ``flag``: every item named (no empty list, no empty
    item such as the one in ``a,,b``)."""
    items = [p.strip() for p in text.split(",")]
    if not any(items):
        raise BadInput(f"{flag} {cut(text)!r} is empty; {what}")
    if not all(items):
        raise BadInput(f"{flag} {cut(text)!r} has an empty item; {what}")
    return items


def make_lanes(scenarios: str | None, variants: str | None, strategies: str) -> tuple[Lane, ...]:
    """The lanes of a soak. ``None`` (the option not given): every built-in scenario, every
    variant of each."""
    if scenarios is None:
        names = list(builtin())
        if not names:
            raise BadInput("no scenarios installed; run `pip install -e .` or pass --scenarios")
    else:
        names = _csv(
            scenarios,
            "--scenarios",
            "give comma-separated scenario names or script paths, or leave --scenarios out for "
            "every built-in scenario (see pcemu list)",
        )
    strats = _csv(strategies, "--strategies", "use some of: " + ",".join(STRATEGIES))
    for s in strats:
        if s not in STRATEGIES:
            raise BadInput(
                f"unknown strategy {cut(s)!r} in --strategies; use some of: " + ",".join(STRATEGIES)
            )
    wanted = (
        []
        if variants is None
        else _csv(
            variants,
            "--variants",
            "give comma-separated variants, e.g. --variants buggy,fixed, or leave --variants "
            "out for every variant",
        )
    )
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
            f"variant {cut(unknown[0])!r} in --variants is not a variant of any chosen scenario; "
            "see `pcemu list`"
        )
    return tuple(lanes)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_resume(store: Store, resume: bool, plan: Plan, out: Path) -> Plan:
    """A soak directory is continued only on purpose, and only with the same seed layout
    (a store written before batches ramped up keeps its fixed batches); the plan to run.
    Every row is read (and checked) before anything is written to the store."""
    rows = store.check()
    if store.has_batches() and store.meta("layout") is None:
        plan = dataclasses.replace(plan, ramp=False)
    if store.has_batches() and not resume:
        raise BadInput(
            f"--out {str(out)!r} already holds a soak; pass --resume to continue it, or give "
            "another --out"
        )
    want = {
        "batch": str(plan.batch),
        "shard": str(plan.shard),
        "seeds": str(plan.seeds),
        "layout": "ramp" if plan.ramp else "fixed",
    }
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
    if store.has_batches():
        check_store_version(store, f"the soak in {str(out)!r}", "resume it")
    _check_layout(store, rows.batches, plan)
    # The version that ran the seeds: another one may map the same seeds to other runs.
    store.set_meta(**want, pcemu=__version__)
    return plan


def check_store_version(store: Store, what: str, verb: str) -> None:
    """BadInput unless the runs in ``store`` were made by this pcemu version (a store written
    before versions were recorded cannot tell, and is taken as it is)."""
    found = store.meta("pcemu")
    if found is not None and found != __version__:
        raise BadInput(
            f"{what} was run by pcemu {found}, this is pcemu {__version__}, whose seeds may map "
            f"to other runs; {verb} with pcemu {found}, or start a new --out"
        )


def _check_layout(store: Store, batches: Sequence[BatchRow], plan: Plan) -> None:
    """Every committed batch of this soak's shard and lanes holds the seeds this soak's plan
    gives that batch: --resume skips those seeds as done."""
    lanes = {lane.key for lane in plan.lanes}
    shard = str(plan.shard)
    for b in batches:
        if b.shard != shard or b.lane not in lanes:
            continue
        seeds = plan.seeds_of(b.k)
        want = (seeds[0], seeds[-1], len(seeds)) if seeds else None
        if want != (b.seed_lo, b.seed_hi, b.runs):
            plan_says = (
                f"seeds {want[0]}..{want[1]} in {want[2]} runs"
                if want is not None
                else "no seeds (the soak has fewer batches)"
            )
            raise store.damaged(
                StoreDamaged(
                    f"{b.where}: seeds {b.seed_lo}..{b.seed_hi} in {b.runs} runs, but batch "
                    f"{b.k} of this soak is {plan_says}"
                )
            )


def check_times(heartbeat: float, watchdog: float, grace: float, selfcheck: float) -> None:
    if not math.isfinite(heartbeat) or heartbeat <= 0:
        raise BadInput(f"--heartbeat {heartbeat:g} must be a finite number of seconds above zero")
    if not math.isfinite(watchdog) or watchdog < 1:
        # Below a second, a loaded machine's pauses would pass for hung runs.
        raise BadInput(
            f"--watchdog {watchdog:g} must be a finite number of seconds, at least 1 "
            "(shorter would take a loaded machine's pauses for hung runs)"
        )
    if not math.isfinite(grace) or grace < 0:
        raise BadInput(f"--grace {grace:g} must be a finite number of seconds, zero or more")
    if not 0 <= selfcheck <= 1:
        raise BadInput(f"--selfcheck {selfcheck:g} must be a fraction between 0 and 1")


# What a soak writes in its directory besides findings/: no scenario script may be one of them.
WRITTEN = ("findings.db", "findings.db-wal", "findings.db-shm", "summary.json", "summary.txt")


def check_scripts_kept(out: Path, lanes: Sequence[Lane]) -> None:
    """A scenario script the soak runs is not a file the soak writes (or deletes) in ``out``:
    the store, the summary, a reproducer under findings/."""
    findings = out / "findings"
    for script in dict.fromkeys(lane.scenario for lane in lanes if is_script(lane.scenario)):
        path = Path(script)
        for name in WRITTEN:
            if same_file(out / name, path):
                raise BadInput(
                    f"--out {str(out)!r} would overwrite the scenario script {script!r} (the soak "
                    f"writes its {name} there); move the script, or give another --out"
                )
        if path.suffix in (".jsonl", ".pctrace") and findings.resolve() in path.resolve().parents:
            raise BadInput(
                f"scenario script {script!r} is named like a reproducer in {str(findings)!r}, "
                "where the soak writes and deletes them; move the script out of --out"
            )
