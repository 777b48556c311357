"""What runs next: the plan's batches not yet committed, the remainders of batches whose
worker went away (first), and the self-check sample (re-runs of sampled seeds, on another
worker process than the first run where there is one)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from emulator.soak.jobs import Check, Pending
from emulator.soak.plan import Batch, Committed, Plan
from emulator.soak.protocol import Item

Job = tuple[Pending, int]  # a job and the index of its first item still to run


class JobQueue:
    def __init__(self, plan: Plan, workers: int) -> None:
        self.plan = plan
        self.workers = workers
        self.batches: Iterator[Batch] = iter(())
        self.retry: deque[Job] = deque()
        self.checks: deque[Check] = deque()
        self.plan_done = False
        self._jid = 0

    def start(self, committed: Mapping[str, Committed]) -> None:
        self.batches = self.plan.batches(committed)

    def requeue(self, job: Job) -> None:
        """Back to the front of the queue (a job whose worker went before running it)."""
        self.retry.appendleft(job)

    def take(self, pid: int | None, dealing: bool, drain: bool) -> Job | None:
        """The next job for the worker ``pid``: retries first; new batches and full self-check
        rounds while ``dealing``; then, with ``drain``, whatever self-checks are left."""
        if self.retry:
            return self.retry.popleft()
        if dealing:
            job = self._check_round(pid, drain=False)
            if job is not None:
                return job
            b = next(self.batches, None)
            if b is not None:
                return self._new_batch(b), 0
            self.plan_done = True
        return self._check_round(pid, drain=True) if drain else None

    def _new_batch(self, b: Batch) -> Pending:
        lane = self.plan.lanes[b.lane]
        items = tuple(Item(b.lane, s, self.plan.checked(lane, s)) for s in b.seeds)
        self._jid += 1
        return Pending(self._jid, b, items, [None] * len(items), [0] * len(items))

    def _check_round(self, pid: int | None, drain: bool) -> Job | None:
        if not self.checks:
            return None
        anywhere = drain or self.workers == 1
        picked = [c for c in self.checks if anywhere or c.pid != pid][: self.plan.batch]
        if not picked or (not drain and len(picked) < max(1, self.plan.batch // 2)):
            return None
        for c in picked:
            self.checks.remove(c)
        self._jid += 1
        items = tuple(Item(c.lane, c.seed, True, c.choices) for c in picked)
        n = len(items)
        return Pending(self._jid, None, items, [None] * n, [0] * n, expect=tuple(picked)), 0
