"""The soak supervisor: a trio program that deals seed batches to worker processes
(``dispatch``) and commits every finished batch, with its findings (``ledger``), before it deals
another to that worker.

Stopping:

- ``--seeds`` exhausted: no new batch is dealt; batches in flight and the pending self-checks
  finish; then the summary.
- ``--duration``: dealing stops early enough for the batches in flight to finish inside it
  (twice the slowest batch so far, at most ``--grace``); whatever is still in flight when it
  is over is abandoned (``--resume`` runs it again), so the soak ends on time. If it ends
  later anyway, the summary says by how much.
- SIGTERM or SIGINT: no new batch; batches in flight get ``--grace`` seconds to finish, then
  (or at a second signal) they are abandoned: their workers are killed and nothing of them is
  committed, so ``--resume`` runs them again. Pending self-checks are dropped.
- SIGKILL: nothing runs, nothing is needed: every committed batch is whole in the store.

A worker that dies or passes the watchdog while running an item is killed and replaced; the item
it was in becomes a finding (``emulator-error`` or ``hang``) and the rest of its batch goes to
the front of the queue.
"""

from __future__ import annotations

import signal
import time

import trio

from emulator.soak.dispatch import Dispatcher
from emulator.soak.jobs import Pending, SoakConfig, Stats
from emulator.soak.ledger import Ledger
from emulator.soak.plan import Plan
from emulator.soak.pool import WorkerProc
from emulator.soak.progress import Progress
from emulator.soak.protocol import Init
from emulator.soak.queue import Job, JobQueue
from emulator.soak.rows import FindingRow, iso
from emulator.soak.snapshot import Final, Snapshot
from emulator.soak.store import Store
from emulator.soak.summary import Summary, write_summary
from emulator.soak.watchdog import PauseMeter


class Supervisor:
    def __init__(self, cfg: SoakConfig, plan: Plan, store: Store, progress: Progress) -> None:
        self.cfg = cfg
        self.plan = plan
        self.store = store
        self.progress = progress
        self.queue = JobQueue(plan, cfg.workers)
        self.ledger = Ledger(cfg, plan, store, progress, self.queue)
        self.workers: list[WorkerProc] = []
        self.stop_reason: str | None = None
        self.signum: int | None = None
        self.listen: str | None = None
        self.early_signals: list[int] = []
        self._work = trio.CancelScope()
        self._deadline: float | None = None  # trio time --duration is over

    # What the status endpoint and the display read.
    @property
    def stats(self) -> Stats:
        return self.ledger.stats

    @property
    def session(self) -> int:
        return self.ledger.session

    @property
    def findings(self) -> list[FindingRow]:
        return self.ledger.findings

    @property
    def inflight(self) -> dict[int, Pending]:
        return self.ledger.inflight

    def coverage_counts(self) -> dict[str, tuple[int, int]]:
        return self.ledger.coverage_counts()

    @property
    def by_signal(self) -> bool:
        return self.signum is not None

    # -- public -----------------------------------------------------------------------------

    async def run(self) -> Summary:
        shard = str(self.plan.shard)
        committed = self.store.committed(shard)
        self.stats.skipped = sum(
            c.frontier + len(c.above)
            for lane in self.plan.lanes
            if (c := committed.get(lane.key)) is not None
        )
        self.queue.start(committed)
        self.ledger.check_k = self.store.next_check_k(self.store.store_id)
        self.ledger.refresh()
        self.ledger.load_coverage()
        meter = PauseMeter()
        init = Init(self.plan.lanes, str(self.cfg.out.resolve()))
        self.workers = [
            WorkerProc(i, init, self.cfg.watchdog, meter) for i in range(self.cfg.workers)
        ]
        async with trio.open_nursery() as outer:
            if self.cfg.listen is not None:
                from emulator.soak.status import serve_status

                self.listen = await outer.start(serve_status, self, self.cfg.listen)
                (self.cfg.out / "endpoint").write_text(f"http://{self.listen}\n")
            # A session begins once nothing can refuse to start any more (a taken port).
            self.ledger.session = self.store.begin_session(list(self.cfg.argv))
            self.progress.event(
                "soak.start",
                session=self.session,
                out=str(self.cfg.out),
                workers=self.cfg.workers,
                lanes=len(self.plan.lanes),
                shard=shard,
                seeds=self.plan.seeds,
                duration=self.cfg.duration,
                resumed_batches=self.stats.skipped,
                listen=self.listen,
            )
            outer.start_soon(meter.run)
            outer.start_soon(self._signals)
            outer.start_soon(self._ticker)
            if self.cfg.duration is not None:
                self._deadline = trio.current_time() + self.cfg.duration
                self._work.deadline = self._deadline
                outer.start_soon(self._timer)
            dispatcher = Dispatcher(self.cfg, self.queue, self.ledger, self._take, self._work)
            try:
                with self._work:
                    async with trio.open_nursery() as work:
                        for w in self.workers:
                            work.start_soon(dispatcher.drive, w)
            finally:
                self.stats.abandoned += len(self.inflight)
                for p in self.inflight.values():
                    self.progress.event("soak.abandoned", batch=self._describe(p))
                self.inflight.clear()
            if self.stop_reason is None:
                self.stop_reason = "seeds done" if self.queue.plan_done else "stopped"
            outer.cancel_scope.cancel()
        return self._finish()

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.progress.event("soak.stopping", reason=reason, inflight=len(self.inflight))

    def abandon(self) -> None:
        self._work.cancel()

    def remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - trio.current_time())

    def snapshot(self) -> Snapshot:
        st = self.stats
        per_scenario: dict[str, int] = {}
        for lane, n in zip(self.plan.lanes, st.lane_runs, strict=True):
            per_scenario[lane.scenario] = per_scenario.get(lane.scenario, 0) + n
        left = self.remaining()
        cov = self.ledger.coverage_counts()
        return Snapshot(
            session=self.session,
            elapsed_s=round(st.elapsed, 3),
            runs=st.runs,
            steps=st.steps,
            runs_per_s=round(st.runs / st.elapsed, 2),
            steps_per_s=round(st.steps / st.elapsed, 1),
            batches_committed=st.committed,
            batches_resumed=st.skipped,
            inflight=len(self.inflight),
            workers=sum(1 for w in self.workers if w.alive),
            workers_configured=self.cfg.workers,
            worker_restarts=st.restarts,
            selfchecks=st.check_runs,
            nondeterministic=st.mismatches,
            findings=len(self.findings),
            finding_hits=sum(f.count for f in self.findings),
            unexpected=sum(1 for f in self.findings if f.unexpected),
            planned_runs=self.plan.total_runs,
            runs_by_scenario=per_scenario,
            stopping=self.stop_reason,
            remaining_s=None if left is None else round(left, 1),
            coverage_reads_from=sum(rf for rf, _o in cov.values()),
            coverage_conflict_orders=sum(o for _rf, o in cov.values()),
            coverage_by_scenario=cov,
            coverage_last_minute=self.ledger.recent_growth(),
            coverage_this_session=(
                self.ledger.session_coverage[0],
                self.ledger.session_coverage[1],
            ),
            selfcheck_replays=st.check_replays,
        )

    # -- the loops --------------------------------------------------------------------------

    async def _signals(self) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as sigs:
            for signum in self.early_signals:  # arrived before the receiver was in place
                self._on_signal(signum)
            async for signum in sigs:
                self._on_signal(signum)

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.signum is None:
            self.signum = signum
            self.stop_reason = None  # a signal overrides a running out of --duration
            self.request_stop(f"signal {name}")
            # Batches in flight get the grace period, then they are abandoned.
            self._work.deadline = min(self._work.deadline, trio.current_time() + self.cfg.grace)
        else:
            self.progress.event("soak.abandoning", reason=f"second signal {name}")
            self.abandon()

    def _margin(self) -> float:
        """How long before the end of --duration dealing stops: long enough for a batch dealt
        just before to finish, never more than --grace or half the duration."""
        slow = max(1.0, 2 * self.stats.slowest_batch)
        return min(self.cfg.grace, slow, (self.cfg.duration or 0.0) / 2)

    def _duration_over(self) -> bool:
        left = self.remaining()
        if left is not None and left <= self._margin():
            self.request_stop("duration")
            return True
        return False

    async def _timer(self) -> None:
        while not self._duration_over():
            await trio.sleep(0.25)

    async def _ticker(self) -> None:
        while True:
            await trio.sleep(self.progress.interval)
            self.progress.tick(self.snapshot(), self.findings)

    def _take(self, w: WorkerProc) -> Job | None:
        if self._work.cancel_called:
            return None
        dealing = self.stop_reason is None and not self._duration_over()
        # After a signal, pending self-checks are dropped: they are samples, not findings.
        return self.queue.take(w.pid, dealing=dealing, drain=not self.by_signal)

    # -- the end ----------------------------------------------------------------------------

    def _finish(self) -> Summary:
        st = self.stats
        reason = self.stop_reason or "stopped"
        self.store.end_session(
            self.session,
            reason,
            runs=st.runs,
            steps=st.steps,
            batches=st.committed,
            abandoned=st.abandoned,
            checks=st.check_runs,
            restarts=st.restarts,
        )
        duration = self.cfg.duration
        over = None if duration is None else round(max(0.0, st.elapsed - duration), 2)
        final = Final(
            snap=self.snapshot(),
            stop_reason=reason,
            signal=None if self.signum is None else signal.Signals(self.signum).name,
            batches_abandoned=st.abandoned,
            checks_dropped=len(self.queue.checks),
            runs_committed=st.committed_runs,
            started=iso(st.started_wall) or "",
            ended=iso(time.time()) or "",
            duration_s=duration,
            overrun_s=over,
        )
        summary = write_summary(self.cfg.out, self.store, final, self.progress)
        self.progress.close(final.snap, self.findings)
        return summary

    def _describe(self, p: Pending) -> str:
        if p.batch is None:
            return f"self-check round of {len(p.items)} runs"
        lane = self.plan.lanes[p.batch.lane]
        return f"{lane.key} k={p.batch.k} seeds {p.batch.seeds[0]}..{p.batch.seeds[-1]}"


def exit_signal(summary: Summary) -> int | None:
    """The signal that stopped a soak, for the exit status (128 + its number)."""
    name = summary.final.signal
    return None if name is None else int(signal.Signals[name])
