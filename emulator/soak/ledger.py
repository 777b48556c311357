"""The supervisor's books: every result a worker reports is recorded against its job, a dead
or hung worker's item becomes a finding, and a finished job is committed to the store with its
findings in one transaction before anything else is dealt to that worker."""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import trio

from emulator.engine.coverage import Coverage
from emulator.soak import findings as fnd
from emulator.soak.jobs import Check, Pending, SoakConfig, SoakError, Stats
from emulator.soak.plan import Plan
from emulator.soak.progress import Progress
from emulator.soak.protocol import Found, ItemResult
from emulator.soak.queue import JobQueue
from emulator.soak.rows import CHECK_LANE, BatchRow, FindingRow, Hit
from emulator.soak.schema import FIX
from emulator.soak.store import Store
from emulator.soak.store_coverage import ORDER, RF, CovRow

GROWTH_WINDOW = 60.0  # seconds: "+N in the last minute"


class Worker(Protocol):
    @property
    def wid(self) -> int: ...
    @property
    def pid(self) -> int | None: ...

    runs: int


class Gone(Protocol):
    @property
    def hung(self) -> bool: ...
    @property
    def returncode(self) -> int | None: ...


class Ledger:
    def __init__(
        self, cfg: SoakConfig, plan: Plan, store: Store, progress: Progress, queue: JobQueue
    ) -> None:
        self.cfg = cfg
        self.plan = plan
        self.store = store
        self.progress = progress
        self.queue = queue
        self.session = 0
        self.stats = Stats(lane_runs=[0] * len(plan.lanes))
        self.inflight: dict[int, Pending] = {}
        self.findings: list[FindingRow] = []
        # Reproducers the workers need not write again; findings whose files could not be
        # written are left out, so the next hit tries again.
        self.known: dict[str, tuple[int, str]] = {}
        self.check_k = 0
        # Coverage of every committed run (all sessions), per scenario; what this session
        # added; and when (monotonic seconds, new reads-from pairs, new conflict orders), for
        # the growth over the last minute.
        self.coverage: dict[str, Coverage] = {}
        self.session_coverage = [0, 0]
        self.growth: deque[tuple[float, int, int]] = deque()

    def load_coverage(self) -> None:
        self.coverage = self.store.coverage()
        for lane in self.plan.lanes:
            self.coverage.setdefault(lane.scenario, Coverage())

    def coverage_counts(self) -> dict[str, tuple[int, int]]:
        """Per scenario: (reads-from pairs, conflict orders), all sessions."""
        return {s: (len(c.reads_from), len(c.orders)) for s, c in sorted(self.coverage.items())}

    def recent_growth(self, now: float | None = None) -> tuple[int, int]:
        """Reads-from pairs and conflict orders committed in the last minute."""
        now = time.monotonic() if now is None else now
        g = self.growth
        while g and g[0][0] < now - GROWTH_WINDOW:
            g.popleft()
        return sum(x[1] for x in g), sum(x[2] for x in g)

    def _new_coverage(self, scenario: str, results: Sequence[ItemResult]) -> list[CovRow]:
        """The pairs of these results the store does not hold yet (workers send what is new to
        them; another worker may have sent it before)."""
        have = self.coverage.get(scenario) or Coverage()
        rf: set[tuple[str, str]] = set()
        order: set[tuple[str, str]] = set()
        for r in results:
            if r.coverage:
                rf.update(p for p in r.coverage.reads_from if p not in have.reads_from)
                order.update(p for p in r.coverage.orders if p not in have.orders)
        return [(scenario, RF, a, b) for a, b in sorted(rf)] + [
            (scenario, ORDER, a, b) for a, b in sorted(order)
        ]

    def _took_coverage(self, rows: Sequence[CovRow]) -> None:
        n_rf = n_ord = 0
        for scenario, kind, a, b in rows:
            c = self.coverage.setdefault(scenario, Coverage())
            if kind == RF:
                c.reads_from.add((a, b))
                n_rf += 1
            else:
                c.orders.add((a, b))
                n_ord += 1
        if n_rf or n_ord:
            self.session_coverage[0] += n_rf
            self.session_coverage[1] += n_ord
            self.growth.append((time.monotonic(), n_rf, n_ord))

    def refresh(self, sigs: Sequence[str] | None = None) -> None:
        """Re-read the findings (only ``sigs``, the ones a commit touched, when given)."""
        if sigs is None:
            self.findings = self.store.findings()
        else:
            fresh = {f.sig: f for f in self.store.findings(sigs)}
            old = {f.sig for f in self.findings}
            self.findings = [fresh.get(f.sig, f) for f in self.findings] + [
                f for s, f in fresh.items() if s not in old
            ]
            self.findings.sort(key=lambda f: (f.kind, f.scenario, f.variant, f.oracle, f.label))
        self.known = {f.sig: (f.seed, f.strategy) for f in self.findings if f.unsaved is None}

    def record(self, p: Pending, idx: int, r: ItemResult, w: Worker) -> None:
        p.results[idx] = r
        w.runs += 1
        p.pids[idx] = w.pid or 0
        st = self.stats
        if p.expect is None:
            st.runs += 1
            st.steps += r.steps
            st.lane_runs[p.items[idx].lane] += 1
        else:
            st.check_runs += 1

    def gone(self, w: Worker, p: Pending, gone: Gone, why: str) -> Pending | None:
        """The worker went while in job ``p``: its item becomes a finding. Returns the job if
        items of it are left to run (the caller re-queues it from the next item)."""
        self.stats.restarts += 1
        idx = p.culprit
        if idx is None:  # it went after its last result: the batch itself is whole
            self.progress.event("soak.worker.replaced", worker=w.wid, pid=w.pid, why=why)
            self.complete(p)
            return None
        item = p.items[idx]
        lane = self.plan.lanes[item.lane]
        if gone.hung:
            f = fnd.watchdog(lane.scenario, lane.variant, self.cfg.watchdog)
        else:
            f = fnd.worker_died(lane.scenario, lane.variant, gone.returncode)
        self.record(p, idx, ItemResult(0, None, Found(f)), w)
        self.progress.event(
            "soak.worker.replaced",
            worker=w.wid,
            pid=w.pid,
            why=why,
            scenario=lane.scenario,
            variant=lane.variant,
            strategy=lane.strategy,
            seed=item.seed,
        )
        if idx + 1 < len(p.items):
            return p
        self.complete(p)
        return None

    def _hit(self, found: Found, lane_i: int, seed: int) -> Hit:
        lane = self.plan.lanes[lane_i]
        return Hit(
            found.finding,
            1,
            seed,
            lane.strategy,
            lane.spec(seed),
            found.log,
            found.trace,
            found.unsaved,
        )

    def complete(self, p: Pending) -> None:
        results = [r for r in p.results if r is not None]
        assert len(results) == len(p.items)
        hits: list[Hit] = []
        cov: list[CovRow] = []
        steps = sum(r.steps for r in results)
        if p.expect is None:
            assert p.batch is not None
            lane = self.plan.lanes[p.batch.lane]
            cov = self._new_coverage(lane.scenario, results)
            for item, r, pid in zip(p.items, results, p.pids, strict=True):
                if r.found is not None:
                    hits.append(self._hit(r.found, item.lane, item.seed))
                if item.want_hash and r.trace_hash is not None:
                    check = Check(item.lane, item.seed, r.trace_hash, pid, r.choices)
                    self.queue.checks.append(check)
            b = p.batch
            failures = sum(1 for r in results if r.found is not None)
            row = BatchRow(
                lane.key, str(self.plan.shard), b.k, b.seeds[0], b.seeds[-1], len(results), steps,
                failures,
            )  # fmt: skip
        else:
            for first, r, pid in zip(p.expect, results, p.pids, strict=True):
                lane = self.plan.lanes[first.lane]
                self.stats.check_replays += first.choices is not None
                if r.found is not None:  # a hang or a dead worker on the second run
                    hits.append(self._hit(r.found, first.lane, first.seed))
                elif r.trace_hash != first.trace_hash:
                    self.stats.mismatches += 1
                    f = fnd.nondeterminism(
                        lane.scenario, lane.variant, first.trace_hash, str(r.trace_hash)
                    )
                    hits.append(self._hit(Found(f), first.lane, first.seed))
                    self.progress.event(
                        "soak.nondeterminism", lane=lane.key, seed=first.seed,
                        pids=[first.pid, pid],
                    )  # fmt: skip
            row = BatchRow(
                CHECK_LANE, self.store.store_id, self.check_k, 0, 0, len(results), steps, len(hits)
            )
            self.check_k += 1
        self._commit(p, row, hits, cov)

    def _commit(self, p: Pending, row: BatchRow, hits: list[Hit], cov: list[CovRow]) -> None:
        try:
            res = self.store.commit_batch(row, hits, self.session, cov)
            self.store.remove_files(res.stale_files)
        except sqlite3.Error as exc:
            # Nothing of this batch is in the store; --resume runs it again.
            raise SoakError(store_write_error(self.store.path, exc)) from None
        self.inflight.pop(p.jid, None)
        self._took_coverage(cov)
        st = self.stats
        if p.sent_at is not None:
            st.slowest_batch = max(st.slowest_batch, trio.current_time() - p.sent_at)
        if p.expect is None:
            st.committed += 1
            st.committed_runs += len(p.items)
        if hits:
            self.refresh(sorted({h.finding.sig for h in hits}))
        by_sig = {f.sig: f for f in self.findings}
        for sig in res.new_sigs:
            f = by_sig[sig]
            self.progress.event(
                "soak.finding",
                id=f.sig[:8],
                kind=f.kind,
                scenario=f.scenario,
                variant=f.variant,
                oracle=f.oracle,
                label=f.label,
                seed=f.seed,
                strategy=f.strategy,
                expected=not f.unexpected,
                unsaved=f.unsaved,
            )


def store_write_error(
    path: Path, exc: sqlite3.Error, rerun: str = "run the same command with --resume"
) -> str:
    """The one line for a write the store refused (a batch, a session, a merge): the reason
    SQLite gave and the fix that fits it (a constraint that fails is a damaged store, not a
    full disk); ``rerun`` says how to carry on once it is fixed."""
    text = " ".join(str(exc).split())[:200]
    if isinstance(exc, sqlite3.IntegrityError):
        return f"{str(path)!r} is damaged ({text}); {FIX}"
    low = text.lower()
    if "full" in low:
        fix = "free space"
    elif "readonly" in low or "read-only" in low or "permission" in low:
        fix = "fix its permissions"
    elif "locked" in low or "busy" in low:
        fix = "stop the other program that has it open"
    else:
        fix = "check the disk it is on"
    return f"cannot write the findings store {str(path)!r} ({text}); {fix}, then {rerun}"
