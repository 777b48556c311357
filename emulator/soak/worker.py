"""The worker process: ``python -m emulator.soak.worker``, driven by the supervisor.

It runs the seeds of each job one after the other, sends every run's result as soon as it has
it, and writes the log and trace of a failing run when that run could become the finding's
reproducer (a signature the supervisor has not seen, or a smaller seed than the one it keeps).
Runs are ``session.execute``'s (``runner``): the worker adds nothing to what a run does, so a
finding's seed reproduces under ``pcemu run`` exactly; it only tracks each run's coverage and
sends the pairs it had not seen for that scenario. The exception is a strategy with cross-run
state (rff): the worker keeps its campaign per (scenario, variant) for its whole life, so those
runs learn from the earlier ones; their findings are reproduced by their saved choices.

The worker ignores SIGINT (a Ctrl-C on the terminal reaches the whole process group; the
supervisor decides what happens to a batch in flight), writes the protocol on a private copy of
its stdout (stray prints of scenario code go to stderr), and exits by itself if the supervisor
goes away, even in the middle of a run that never ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from emulator.engine.choices import Replay
from emulator.engine.config import RunResult
from emulator.engine.strategies import has_campaign
from emulator.run.artifacts import save
from emulator.run.scenario import Scenario
from emulator.run.session import RunSpec
from emulator.soak import paths, protocol
from emulator.soak.findings import classify, from_exception
from emulator.soak.paths import artifact_paths
from emulator.soak.plan import Lane
from emulator.soak.protocol import Choices, Exit, Found, Init, Item, ItemResult, Job, NewCoverage
from emulator.soak.runner import Runner

__all__ = ["artifact_paths", "main", "run_item", "serve"]

Ran = tuple[Scenario, RunResult, NewCoverage | None]

# Runs of a job made in one trio run: enough to share a trio run and its actor tasks, few
# enough that the results of one trio run (kept until it ends) stay small.
CHUNK = 16


def run_item(
    lane: Lane,
    seed: int,
    want_hash: bool,
    out: Path | None,
    known: dict[str, tuple[int, str]],
    check: bool = False,
    runner: Runner | None = None,
    replay: Choices | None = None,
    ran: Ran | None = None,
) -> ItemResult:
    """Run one seed of one lane. ``known`` maps signatures to the (seed, strategy) of their
    current reproducer; it is updated when this run writes a better one. ``runner`` is what the
    worker keeps across runs (coverage seen, rff campaigns); a self-check (``check``) tracks no
    coverage and, given the first run's choices (``replay``), replays them strictly instead of
    running the seed. ``ran``: what ``runner`` already made of this run (in a job's batch)."""
    runner = runner or Runner()
    spec = lane.spec(seed)
    try:
        rp = None if replay is None else Replay.strict(replay)
        scen, result, cov = ran if ran is not None else runner.run(spec, track=not check, replay=rp)
    except BaseException as exc:  # even sys.exit() in scenario code is a finding, not a crash
        f = from_exception(lane.scenario, lane.variant, exc)
        return ItemResult(0, None, None if check else Found(f))
    o = result.outcome
    h = o.trace_hash if want_hash else None
    # A sampled run of a strategy with cross-run state: its seed alone does not make it, so
    # the self-check replays its choices.
    choices = (
        tuple(result.choices) if want_hash and not check and has_campaign(lane.strategy) else None
    )
    if check or not o.failed:
        return ItemResult(o.steps, h, None, cov, choices)
    found = classify(scen, lane.scenario, lane.variant, result)
    if found is None:
        return ItemResult(o.steps, h, None, cov, choices)
    rank = (seed, lane.strategy)
    best = known.get(found.sig)
    if out is None or (best is not None and rank >= best):
        return ItemResult(o.steps, h, Found(found), cov, choices)
    log, trace = artifact_paths(found.sig, lane.strategy, seed)
    try:
        _save_atomically(out, spec, scen, result, log, trace)
    except OSError as exc:
        # A full disk or a read-only folder: the finding still counts, under its signature,
        # with its seed as the reproducer; the files are said to be missing, and why.
        why = f"{exc.strerror or type(exc).__name__} writing {exc.filename or log}"
        return ItemResult(o.steps, h, Found(found, unsaved=why), cov, choices)
    known[found.sig] = rank
    return ItemResult(o.steps, h, Found(found, log, trace), cov, choices)


def _save_atomically(
    out: Path, spec: RunSpec, scen: Any, result: Any, log: str, trace: str
) -> None:
    # Write beside, then rename: a reader (or a SIGKILL) never sees half a file.
    folder = out / log.rsplit("/", 1)[0]
    folder.mkdir(parents=True, exist_ok=True)
    if not paths.inside(out, log):
        raise OSError(0, "findings/ leads outside the soak directory", log)
    tmp_log, tmp_trace = out / f"{log}.tmp", out / f"{trace}.tmp"
    try:
        save(spec.header(scen), result, tmp_log, tmp_trace)
        os.replace(tmp_log, out / log)
        os.replace(tmp_trace, out / trace)
    except BaseException:
        for tmp in (tmp_log, tmp_trace):
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


class Channel:
    """The protocol over raw file descriptors (buffered reads would wait for a full buffer)."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd = rfd
        self.wfd = wfd
        self.unpacker = protocol.unpacker()

    def send(self, obj: Any) -> None:
        view = memoryview(protocol.pack(obj))
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def __iter__(self) -> Iterator[Any]:
        while True:
            data = os.read(self.rfd, 1 << 16)
            if not data:
                return
            self.unpacker.feed(data)
            yield from self.unpacker


def _orphan_guard(interval: float = 0.5) -> None:
    """Exit when the supervisor is gone (we were re-parented), even mid-run."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="pcemu-orphan-guard", daemon=True).start()


def serve(chan: Channel) -> None:
    """The job loop: one process for the whole soak (the supervisor replaces it only when it
    dies or hangs). The runs of a job share trio runs (CHUNK each); the ``Runner`` keeps what
    lasts across them (coverage seen per scenario, rff campaigns per scenario and variant)."""
    lanes: tuple[Lane, ...] = ()
    out: Path | None = None
    known: dict[str, tuple[int, str]] = {}
    runner = Runner()
    chan.send({"op": protocol.READY, "pid": os.getpid()})
    for raw in chan:
        msg = protocol.to_worker(raw)
        if isinstance(msg, Init):
            lanes = msg.lanes
            out = Path(msg.out) if msg.out else None
        elif isinstance(msg, Job):
            for sig, rank in msg.known.items():
                mine = known.get(sig)
                if mine is None or rank < mine:
                    known[sig] = rank
            for start in range(0, len(msg.items), CHUNK):
                _serve_chunk(chan, msg, start, lanes, out, known, runner)
            chan.send({"op": protocol.DONE, "id": msg.jid})
        elif isinstance(msg, Exit):
            return


def _serve_chunk(
    chan: Channel,
    job: Job,
    start: int,
    lanes: tuple[Lane, ...],
    out: Path | None,
    known: dict[str, tuple[int, str]],
    runner: Runner,
) -> None:
    """Items ``start`` to ``start + CHUNK`` of ``job``, in one trio run when they can be
    (``Runner.run_all``). Each result is reported as soon as its run ends, as one run per trio
    run did: the supervisor blames a hang or a death on the first item not reported."""
    items = job.items[start : start + CHUNK]

    def report(j: int, ran: Ran | None) -> None:
        li, seed, want, choices = items[j]
        r = run_item(lanes[li], seed, want, out, known, job.check, runner, choices, ran)
        chan.send(r.wire(start + j))

    for j in range(_run_all(runner, lanes, items, job.check, report), len(items)):
        report(j, None)


def _run_all(
    runner: Runner,
    lanes: tuple[Lane, ...],
    items: Sequence[Item],
    check: bool,
    each: Callable[[int, Ran], None],
) -> int:
    """The items' runs in one trio run, each handed to ``each`` as it ends; how many were run
    so (``run_item`` runs the rest, and reports any error of its own as a finding)."""
    try:
        calls = [
            (lanes[lane].spec(seed), not check, None if ch is None else Replay.strict(ch))
            for lane, seed, _want, ch in items
        ]
    except Exception:
        return 0
    return runner.run_all(calls, each)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wfd = os.dup(1)
    os.dup2(2, 1)  # print() in scenario code must not corrupt the protocol stream
    _orphan_guard()
    with contextlib.suppress(BrokenPipeError):  # the supervisor went away: nobody to tell
        serve(Channel(0, wfd))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
