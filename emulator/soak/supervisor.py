"""The soak supervisor: a trio program that deals seed batches to worker processes and commits
every finished batch, with its findings, before it deals another to that worker.

Stopping:

- ``--seeds`` exhausted or ``--duration`` over: no new batch is dealt; batches in flight and the
  pending self-checks finish; then the summary.
- SIGTERM or SIGINT: no new batch; batches in flight get ``--grace`` seconds to finish, then
  (or at a second signal) they are abandoned: their workers are killed and nothing of them is
  committed, so ``--resume`` runs them again. Pending self-checks are dropped.
- SIGKILL: nothing runs, nothing is needed: every committed batch is whole in the store.

A worker that dies or passes the watchdog while running an item is killed and replaced; the item
it was in becomes a finding (``emulator-error`` or ``hang``) and the rest of its batch goes to
the front of the queue.
"""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import trio

from emulator.soak import findings as fnd
from emulator.soak.jobs import Pending, SoakConfig, SoakError, Stats
from emulator.soak.plan import Batch, Plan
from emulator.soak.pool import WorkerGone, WorkerProc
from emulator.soak.progress import Progress
from emulator.soak.protocol import ItemResult
from emulator.soak.store import CHECK_LANE, BatchRow, FindingRow, Hit, Store
from emulator.soak.summary import write_summary

STARTUP_FAILURES = 3  # a worker that cannot start this many times in a row ends the soak
RECYCLE_RUNS = 20_000  # runs after which a worker process is replaced by a fresh one
PREFETCH = 2  # jobs sent to a worker ahead: the one it runs and the next
COALESCE = 0.01  # seconds a worker's results gather in its pipe between reads


class _DiedIdle(Exception):
    """The worker process was gone before a job was delivered to it (nothing in flight)."""

    def __init__(self, gone: WorkerGone) -> None:
        super().__init__(str(gone))
        self.gone = gone


class Supervisor:
    def __init__(self, cfg: SoakConfig, plan: Plan, store: Store, progress: Progress) -> None:
        self.cfg = cfg
        self.plan = plan
        self.store = store
        self.progress = progress
        self.session = 0
        self.stats = Stats(lane_runs=[0] * len(plan.lanes))
        self.batches: Iterator[Batch] = iter(())
        self.retry: deque[tuple[Pending, int]] = deque()
        self.checks: deque[tuple[int, int, str, int]] = deque()  # lane, seed, hash, pid
        self.inflight: dict[int, Pending] = {}
        self.workers: list[WorkerProc] = []
        self.findings: list[FindingRow] = []
        self.known: dict[str, list[Any]] = {}
        self.stop_reason: str | None = None
        self.by_signal = False
        self.plan_done = False
        self.listen: str | None = None
        self._jid = 0
        self._check_k = 0
        self._work = trio.CancelScope()
        self._startup_failures = 0
        self.early_signals: list[int] = []

    # -- public -----------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        shard = str(self.plan.shard)
        committed = self.store.committed(shard)
        self.stats.skipped = sum(
            c.frontier + len(c.above)
            for lane in self.plan.lanes
            if (c := committed.get(lane.key)) is not None
        )
        self.batches = self.plan.batches(committed)
        self._check_k = self.store.next_check_k(self.store.store_id)
        self._refresh()
        init = {
            "op": "init",
            "lanes": [[ln.scenario, ln.variant, ln.strategy] for ln in self.plan.lanes],
            "out": str(self.cfg.out.resolve()),
        }
        self.workers = [WorkerProc(i, init) for i in range(self.cfg.workers)]
        async with trio.open_nursery() as outer:
            if self.cfg.listen is not None:
                from emulator.soak.status import serve_status

                self.listen = await outer.start(serve_status, self, self.cfg.listen)
                (self.cfg.out / "endpoint").write_text(f"http://{self.listen}\n")
            # A session begins once nothing can refuse to start any more (a taken port).
            self.session = self.store.begin_session(list(self.cfg.argv))
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
            outer.start_soon(self._signals)
            outer.start_soon(self._ticker)
            if self.cfg.duration is not None:
                outer.start_soon(self._timer, self.cfg.duration)
            try:
                with self._work:
                    async with trio.open_nursery() as work:
                        for w in self.workers:
                            work.start_soon(self._drive, w)
            finally:
                self.stats.abandoned += len(self.inflight)
                for p in self.inflight.values():
                    self.progress.event("soak.abandoned", batch=_describe(self, p))
                self.inflight.clear()
            if self.stop_reason is None:
                self.stop_reason = "seeds done" if self.plan_done else "stopped"
            outer.cancel_scope.cancel()
        return self._finish()

    def request_stop(self, reason: str, by_signal: bool = False) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.by_signal = by_signal
            self.progress.event("soak.stopping", reason=reason, inflight=len(self.inflight))

    def abandon(self) -> None:
        self._work.cancel()

    def snapshot(self) -> dict[str, Any]:
        st = self.stats
        per_scenario: dict[str, int] = {}
        for lane, n in zip(self.plan.lanes, st.lane_runs, strict=True):
            per_scenario[lane.scenario] = per_scenario.get(lane.scenario, 0) + n
        return {
            "session": self.session,
            "elapsed_s": round(st.elapsed, 3),
            "runs": st.runs,
            "steps": st.steps,
            "runs_per_s": round(st.runs / st.elapsed, 2),
            "steps_per_s": round(st.steps / st.elapsed, 1),
            "batches_committed": st.committed,
            "batches_resumed": st.skipped,
            "inflight": len(self.inflight),
            "workers": sum(1 for w in self.workers if w.alive),
            "workers_configured": self.cfg.workers,
            "worker_restarts": st.restarts,
            "selfchecks": st.check_runs,
            "nondeterministic": st.mismatches,
            "findings": len(self.findings),
            "finding_hits": sum(f.count for f in self.findings),
            "planned_runs": self.plan.total_runs,
            "runs_by_scenario": per_scenario,
            "stopping": self.stop_reason,
        }

    # -- the loops --------------------------------------------------------------------------

    async def _signals(self) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as sigs:
            for signum in self.early_signals:  # arrived before the receiver was in place
                self._on_signal(signum)
            async for signum in sigs:
                self._on_signal(signum)

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if not self.by_signal:
            self.stop_reason = None  # a signal overrides a running out of --duration
            self.request_stop(f"signal {name}", by_signal=True)
            # Batches in flight get the grace period, then they are abandoned.
            self._work.deadline = min(self._work.deadline, trio.current_time() + self.cfg.grace)
        else:
            self.progress.event("soak.abandoning", reason=f"second signal {name}")
            self.abandon()

    async def _timer(self, seconds: float) -> None:
        await trio.sleep(seconds)
        self.request_stop("duration")

    async def _ticker(self) -> None:
        while True:
            await trio.sleep(self.progress.interval)
            self.progress.tick(self.snapshot(), self.findings)

    async def _drive(self, w: WorkerProc) -> None:
        """Keep one worker busy: a job running and the next one already queued in its pipe
        (so it never waits for a commit or for the supervisor to wake), results read in
        bursts."""
        sent: deque[tuple[Pending, int]] = deque()
        try:
            while True:
                if not sent and w.alive and w.runs >= RECYCLE_RUNS:
                    # A fresh process now and then: bounded memory over days, and a new hash
                    # seed for the self-check to compare against.
                    await w.stop()
                depth = PREFETCH if w.runs < RECYCLE_RUNS or not w.alive else 1
                try:
                    # Never hand a job to a fresh process while jobs sent to the one that died
                    # are unaccounted for: reading what it sent before dying (below) is what
                    # names the seed that killed it. Results carry no job id, so a job left in
                    # `sent` across a restart would be credited with the next job's results.
                    while (
                        len(sent) < depth
                        and (w.alive or not sent)
                        and (job := self._take(w)) is not None
                    ):
                        self.inflight[job[0].jid] = job[0]
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
                    self.stats.restarts += 1
                    self.progress.event(
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
                        self.retry.appendleft(job)
                    self._gone(w, jobs[0][0], gone)
                    continue
                sent.popleft()
                self._complete(p)
        finally:
            with trio.CancelScope(shield=True):
                if self._work.cancel_called or sent:
                    await w.kill()
                else:
                    await w.stop()

    async def _deliver(
        self, w: WorkerProc, job: tuple[Pending, int], sent: deque[tuple[Pending, int]]
    ) -> bool:
        """Send a job to the worker; if the process is gone, the job goes back to the queue and
        False tells the caller to read what the jobs already in flight produced."""
        try:
            await self._send(w, *job)
        except WorkerGone as gone:
            self.retry.appendleft(job)
            if not sent:
                raise _DiedIdle(gone) from None
            return False
        sent.append(job)
        return True

    async def _start(self, w: WorkerProc) -> None:
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
            await self._start(w)
            return
        self._startup_failures = 0

    def _take(self, w: WorkerProc) -> tuple[Pending, int] | None:
        if self._work.cancel_called:
            return None
        if self.retry:
            return self.retry.popleft()
        if self.stop_reason is None:
            job = self._check_round(w, drain=False)
            if job is not None:
                return job
            b = next(self.batches, None)
            if b is not None:
                return self._new_batch(b), 0
            self.plan_done = True
        if self.by_signal:
            return None  # pending self-checks are dropped: they are samples, not findings
        return self._check_round(w, drain=True)

    def _new_batch(self, b: Batch) -> Pending:
        lane = self.plan.lanes[b.lane]
        items = [(b.lane, s, self.plan.checked(lane, s)) for s in b.seeds]
        self._jid += 1
        return Pending(self._jid, b, items, [None] * len(items), [0] * len(items))

    def _check_round(self, w: WorkerProc, drain: bool) -> tuple[Pending, int] | None:
        """Re-run sampled seeds, on another worker process than the first run where there is
        one (each has its own hash seed)."""
        if not self.checks:
            return None
        anywhere = drain or self.cfg.workers == 1
        picked = [c for c in self.checks if anywhere or c[3] != w.pid][: self.plan.batch]
        if not picked or (not drain and len(picked) < max(1, self.plan.batch // 2)):
            return None
        for c in picked:
            self.checks.remove(c)
        self._jid += 1
        items = [(lane, seed, True) for lane, seed, _h, _p in picked]
        return (
            Pending(
                self._jid,
                None,
                items,
                [None] * len(items),
                [0] * len(items),
                expect=[(h, pid) for _lane, _seed, h, pid in picked],
            ),
            0,
        )

    async def _send(self, w: WorkerProc, p: Pending, start: int) -> None:
        await w.send(
            {
                "op": "job",
                "id": p.jid,
                "check": p.expect is not None,
                "items": [list(it) for it in p.items[start:]],
                "known": self.known,
            }
        )

    async def _receive(self, w: WorkerProc, p: Pending, start: int) -> None:
        while True:
            msg = await w.recv(self.cfg.watchdog, COALESCE)
            if isinstance(msg, list):
                i, r = ItemResult.from_wire(msg)
                self._record(p, start + i, r, w.pid or 0, w)
            elif isinstance(msg, dict) and msg.get("op") == "done":
                return

    def _record(self, p: Pending, idx: int, r: ItemResult, pid: int, w: WorkerProc) -> None:
        p.results[idx] = r
        w.runs += 1
        p.pids[idx] = pid
        st = self.stats
        if p.expect is None:
            st.runs += 1
            st.steps += r.steps
            st.lane_runs[p.items[idx][0]] += 1
        else:
            st.check_runs += 1

    def _gone(self, w: WorkerProc, p: Pending, gone: WorkerGone) -> None:
        self.stats.restarts += 1
        if p.culprit is None:  # it went after its last result: the batch itself is whole
            self.progress.event("soak.worker.replaced", worker=w.wid, pid=w.pid, why=str(gone))
            self._complete(p)
            return
        idx = p.culprit
        lane = self.plan.lanes[p.items[idx][0]]
        seed = p.items[idx][1]
        if gone.hung:
            f = fnd.watchdog(lane.scenario, lane.variant, self.cfg.watchdog)
        else:
            f = fnd.worker_died(lane.scenario, lane.variant, gone.returncode)
        payload = {"f": f.as_dict(), "spec": _spec(lane.spec(seed)), "log": None, "trace": None}
        self._record(p, idx, ItemResult(0, None, payload), w.pid or 0, w)
        self.progress.event(
            "soak.worker.replaced",
            worker=w.wid,
            pid=w.pid,
            why=str(gone),
            scenario=lane.scenario,
            variant=lane.variant,
            strategy=lane.strategy,
            seed=seed,
        )
        if idx + 1 < len(p.items):
            self.retry.appendleft((p, idx + 1))
        else:
            self._complete(p)

    # -- committing -------------------------------------------------------------------------

    def _complete(self, p: Pending) -> None:
        results = [r for r in p.results if r is not None]
        assert len(results) == len(p.items)
        hits: list[Hit] = []
        if p.expect is None:
            assert p.batch is not None
            lane = self.plan.lanes[p.batch.lane]
            for (li, seed, want), r, pid in zip(p.items, results, p.pids, strict=True):
                if r.finding is not None:
                    hits.append(_hit(r.finding, seed, lane.strategy))
                if want and r.trace_hash is not None:
                    self.checks.append((li, seed, r.trace_hash, pid))
            row = BatchRow(
                lane.key,
                str(self.plan.shard),
                p.batch.k,
                p.batch.seeds[0],
                p.batch.seeds[-1],
                len(results),
                sum(r.steps for r in results),
                sum(1 for r in results if r.finding is not None),
            )
        else:
            for (li, seed, _w), r, (h0, pid0), pid in zip(
                p.items, results, p.expect, p.pids, strict=True
            ):
                lane = self.plan.lanes[li]
                if r.finding is not None:  # a hang or a dead worker on the second run
                    hits.append(_hit(r.finding, seed, lane.strategy))
                elif r.trace_hash != h0:
                    self.stats.mismatches += 1
                    f = fnd.nondeterminism(lane.scenario, lane.variant, h0, str(r.trace_hash))
                    payload = {"f": f.as_dict(), "spec": _spec(lane.spec(seed))}
                    hits.append(_hit(payload, seed, lane.strategy))
                    self.progress.event(
                        "soak.nondeterminism", lane=lane.key, seed=seed, pids=[pid0, pid]
                    )
            row = BatchRow(
                CHECK_LANE,
                self.store.store_id,
                self._check_k,
                0,
                0,
                len(results),
                sum(r.steps for r in results),
                len(hits),
            )
            self._check_k += 1
        try:
            res = self.store.commit_batch(row, hits, self.session)
        except sqlite3.Error as exc:
            # Nothing of this batch is in the store; --resume runs it again.
            raise SoakError(f"cannot write the findings store in {self.cfg.out}: {exc}") from exc
        self.store.remove_files(res.stale_files)
        self.inflight.pop(p.jid, None)
        if p.expect is None:
            self.stats.committed += 1
            self.stats.committed_runs += len(results)
        if hits:
            self._refresh()
        for sig in res.new_sigs:
            row_f = next(f for f in self.findings if f.sig == sig)
            self.progress.event(
                "soak.finding",
                kind=row_f.kind,
                scenario=row_f.scenario,
                variant=row_f.variant,
                oracle=row_f.oracle,
                label=row_f.label,
                seed=row_f.seed,
                strategy=row_f.strategy,
                expected=row_f.expected,
            )

    def _refresh(self) -> None:
        self.findings = self.store.findings()
        self.known = {f.sig: [f.seed, f.strategy] for f in self.findings}

    def _finish(self) -> dict[str, Any]:
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
        snap = self.snapshot()
        snap["stop_reason"] = reason
        snap["batches_abandoned"] = st.abandoned
        snap["checks_dropped"] = len(self.checks)
        snap["runs_committed"] = st.committed_runs
        snap["started"] = st.started_wall
        snap["ended"] = time.time()
        summary = write_summary(self.cfg.out, self.store, snap)
        self.progress.close(snap, self.findings)
        return summary


def _spec(spec: Any) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def _hit(payload: dict[str, Any], seed: int, strategy: str) -> Hit:
    return Hit(
        fnd.Finding.from_dict(payload["f"]),
        1,
        seed,
        strategy,
        dict(payload["spec"]),
        payload.get("log"),
        payload.get("trace"),
    )


def _describe(sup: Supervisor, p: Pending) -> str:
    if p.batch is None:
        return f"self-check round of {len(p.items)} runs"
    lane = sup.plan.lanes[p.batch.lane]
    return f"{lane.key} k={p.batch.k} seeds {p.batch.seeds[0]}..{p.batch.seeds[-1]}"
