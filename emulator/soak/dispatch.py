"""Keeping one worker busy: a job running and the next one already in its pipe (so it never
waits for a commit or for the supervisor to wake), results read in bursts, the worker started
once and replaced only when it dies or hangs."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import trio

from emulator.soak import protocol
from emulator.soak.jobs import Pending, SoakConfig, SoakError
from emulator.soak.ledger import Ledger
from emulator.soak.pool import WorkerGone, WorkerProc
from emulator.soak.protocol import Done, ItemResult
from emulator.soak.queue import Job, JobQueue

STARTUP_FAILURES = 3  # a worker that cannot start this many times in a row ends the soak
PREFETCH = 2  # jobs sent to a worker ahead: the one it runs and the next
COALESCE = 0.05  # seconds a worker's results gather in its pipe between reads


class _DiedIdle(Exception):
    """The worker process was gone before a job was delivered to it (nothing in flight)."""

    def __init__(self, gone: WorkerGone) -> None:
        super().__init__(str(gone))
        self.gone = gone


class Dispatcher:
    def __init__(
        self,
        cfg: SoakConfig,
        queue: JobQueue,
        ledger: Ledger,
        take: Callable[[WorkerProc], Job | None],
        work: trio.CancelScope,
    ) -> None:
        self.cfg = cfg
        self.queue = queue
        self.ledger = ledger
        self.take = take
        self.work = work
        self._startup_failures = 0

    async def drive(self, w: WorkerProc) -> None:
        sent: deque[Job] = deque()
        try:
            while True:
                try:
                    # Never hand a job to a fresh process while jobs sent to the one that died
                    # are unaccounted for: reading what it sent before dying (below) is what
                    # names the seed that killed it. Results carry no job id, so a job left in
                    # `sent` across a restart would be credited with the next job's results.
                    while (
                        len(sent) < PREFETCH
                        and (w.alive or not sent)
                        and (job := self.take(w)) is not None
                    ):
                        self.ledger.inflight[job[0].jid] = job[0]
                        if not w.alive:
                            await self._start(w)
                        if not await self._deliver(w, job, sent):
                            break
                    if not sent:
                        return
                    p, start = sent[0]
                    await self._receive(w, p, start)
                except _DiedIdle as idle:
                    # Nothing of ours was in it: replace it, no finding, the job is re-queued.
                    self.ledger.stats.restarts += 1
                    self.ledger.progress.event(
                        "soak.worker.replaced", worker=w.wid, pid=w.pid, why=str(idle.gone)
                    )
                    await w.kill()
                    continue
                except WorkerGone as gone:
                    # The worker was in the first job sent; the ones queued behind it never
                    # started and go back to the front of the queue, after its remainder.
                    jobs = list(sent)
                    sent.clear()
                    for job in reversed(jobs[1:]):
                        self.queue.requeue(job)
                    rest = self.ledger.gone(w, jobs[0][0], gone, str(gone))
                    if rest is not None:
                        idx = rest.culprit
                        self.queue.requeue((rest, idx if idx is not None else len(rest.items)))
                    continue
                sent.popleft()
                self.ledger.complete(p)
        finally:
            with trio.CancelScope(shield=True):
                if self.work.cancel_called or sent:
                    await w.kill()
                else:
                    await w.stop()

    async def _deliver(self, w: WorkerProc, job: Job, sent: deque[Job]) -> bool:
        """Send a job to the worker; if the process is gone, the job goes back to the queue and
        False tells the caller to read what the jobs already in flight produced."""
        p, start = job
        try:
            if not sent:
                w.dog.arm(w.pid)  # an idle worker's watchdog starts with its job
            msg = protocol.Job(p.jid, p.expect is not None, p.items[start:], self.ledger.known)
            await w.send(msg.wire())
        except WorkerGone as gone:
            self.queue.requeue(job)
            if not sent:
                raise _DiedIdle(gone) from None
            return False
        if p.sent_at is None:
            p.sent_at = trio.current_time()
        sent.append(job)
        return True

    async def _start(self, w: WorkerProc) -> None:
        while True:
            try:
                await w.start(self.cfg.startup_timeout)
            except WorkerGone as gone:
                self._startup_failures += 1
                if self._startup_failures >= STARTUP_FAILURES:
                    raise SoakError(
                        f"worker processes cannot start ({gone}); run `python -m "
                        "emulator.soak.worker </dev/null` to see why"
                    ) from None
                await trio.sleep(0.5)
                continue
            self._startup_failures = 0
            return

    async def _receive(self, w: WorkerProc, p: Pending, start: int) -> None:
        while True:
            msg = await w.recv(coalesce=COALESCE)
            if isinstance(msg, tuple):
                i, r = msg
                if not isinstance(r, ItemResult) or not 0 <= start + i < len(p.items):
                    await w.kill()
                    raise WorkerGone(False, None)
                self.ledger.record(p, start + i, r, w)
            elif isinstance(msg, Done):
                return
