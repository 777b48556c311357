"""The worker process: ``python -m emulator.soak.worker``, driven by the supervisor.

It runs the seeds of each job one after the other, sends every run's result as soon as it has
it, and writes the log and trace of a failing run when that run could become the finding's
reproducer (a signature the supervisor has not seen, or a smaller seed than the one it keeps).
Runs are plain ``session.execute`` calls: the worker adds nothing to what a run does, so a
finding's seed reproduces under ``pcemu run`` exactly.

The worker ignores SIGINT (a Ctrl-C on the terminal reaches the whole process group; the
supervisor decides what happens to a batch in flight), writes the protocol on a private copy of
its stdout (stray prints of scenario code go to stderr), and exits by itself if the supervisor
goes away, even in the middle of a run that never ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulator.run.artifacts import save
from emulator.run.session import execute
from emulator.soak import protocol
from emulator.soak.findings import Finding, classify, from_exception
from emulator.soak.plan import Lane
from emulator.soak.protocol import ItemResult


def artifact_paths(sig: str, strategy: str, seed: int) -> tuple[str, str]:
    """Paths, relative to the soak directory, of a reproducer's log and trace."""
    stem = f"findings/{sig}/{strategy}-{seed}"
    return f"{stem}.jsonl", f"{stem}.pctrace"


def run_item(
    lane: Lane,
    seed: int,
    want_hash: bool,
    out: Path | None,
    known: dict[str, tuple[int, str]],
    check: bool = False,
) -> ItemResult:
    """Run one seed of one lane. ``known`` maps signatures to the (seed, strategy) of their
    current reproducer; it is updated when this run writes a better one."""
    spec = lane.spec(seed)
    try:
        scen, result = execute(spec)
    except BaseException as exc:  # even sys.exit() in scenario code is a finding, not a crash
        f = from_exception(lane.scenario, lane.variant, exc)
        return ItemResult(0, None, None if check else _payload(f, spec, None, None))
    o = result.outcome
    h = o.trace_hash if want_hash else None
    if check or not o.failed:
        return ItemResult(o.steps, h)
    found = classify(scen, lane.scenario, lane.variant, result)
    if found is None:
        return ItemResult(o.steps, h)
    log = trace = None
    rank = (seed, lane.strategy)
    best = known.get(found.sig)
    if out is not None and (best is None or rank < best):
        log, trace = artifact_paths(found.sig, lane.strategy, seed)
        _save_atomically(out, spec.header(scen), result, log, trace)
        known[found.sig] = rank
    return ItemResult(o.steps, h, _payload(found, spec, log, trace))


def _payload(f: Finding, spec: Any, log: str | None, trace: str | None) -> dict[str, Any]:
    return {"f": f.as_dict(), "spec": dataclasses.asdict(spec), "log": log, "trace": trace}


def _save_atomically(out: Path, header: dict[str, Any], result: Any, log: str, trace: str) -> None:
    # Write beside, then rename: a reader (or a SIGKILL) never sees half a file.
    tmp_log, tmp_trace = out / f"{log}.tmp", out / f"{trace}.tmp"
    save(header, result, tmp_log, tmp_trace)
    os.replace(tmp_log, out / log)
    os.replace(tmp_trace, out / trace)


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
    lanes: list[Lane] = []
    out: Path | None = None
    known: dict[str, tuple[int, str]] = {}
    chan.send({"op": protocol.READY, "pid": os.getpid()})
    for msg in chan:
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == protocol.INIT:
            lanes = [Lane(str(a), str(b), str(c)) for a, b, c in msg["lanes"]]
            out = Path(msg["out"]) if msg.get("out") else None
        elif op == protocol.JOB:
            for sig, (seed, strategy) in msg.get("known", {}).items():
                mine = known.get(sig)
                if mine is None or (seed, strategy) < mine:
                    known[sig] = (int(seed), str(strategy))
            check = bool(msg.get("check"))
            for i, (lane, seed, want) in enumerate(msg["items"]):
                r = run_item(lanes[lane], int(seed), bool(want), out, known, check)
                chan.send(r.wire(i))
            chan.send({"op": protocol.DONE, "id": msg["id"]})
        elif op == protocol.EXIT:
            return


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
