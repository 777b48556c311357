"""What SC and TSO share: one flat memory holding the latest value of each location.

Both modes apply RMWs and lock acquisitions to that memory atomically; they differ only in
what must happen first (TSO drains store buffers), which each mode says in ``_before_rmw`` and
its own ``lock``/``trylock``. RCU read-side sections only count nesting and epochs here:
with one memory there is no view to publish.
"""

from __future__ import annotations

from collections.abc import Hashable

from actors.memory.base import Loc, MemoryModel, RmwOrder, Update, Value, loc_key


class FlatMemory(MemoryModel):
    """Base class of the single-memory modes; ``mem`` holds every store that reached memory."""

    def __init__(self) -> None:
        super().__init__()
        self.mem: dict[Loc, Value] = {}

    def _get(self, loc: Loc) -> Value:
        if loc in self.mem:
            return self.mem[loc]
        return self.init_values.get(loc, 0)

    def _before_rmw(self, cpu: int, loc: Loc) -> None:
        """What an RMW of ``cpu`` on ``loc`` waits for before it reads memory (SC: nothing)."""

    def _take(self, loc: Loc) -> bool:
        """Take the lock word when memory says it is free; False when it is held."""
        if self._get(loc) != 0:
            return False
        self.mem[loc] = 1
        return True

    def rmw(
        self,
        cpu: int,
        loc: Loc,
        update: Update,
        order: RmwOrder = "full",
        void: bool = False,
        dep: object = None,
        ctrl: object = None,
    ) -> tuple[Value, bool, object]:
        self._before_rmw(cpu, loc)
        old = self._get(loc)
        new = update(old)
        if new is None:
            return old, False, None
        self.mem[loc] = new
        return old, True, None

    def rcu_read_lock(self, cpu: int, domain: Loc | None = None) -> int:
        t = self.tracker(domain)
        t.enter(cpu)
        return t.started

    def rcu_read_unlock(
        self, cpu: int, domain: Loc | None = None, section: int | None = None
    ) -> None:
        self.tracker(domain).leave(cpu, section)

    def final(self, loc: Loc) -> Value:
        return self._get(loc)

    def _locs(self) -> set[Loc]:
        """Every location in memory or initialised (a mode adds those only it holds)."""
        return {*self.mem, *self.init_values}

    def locations(self) -> list[Loc]:
        return sorted(self._locs(), key=loc_key)

    def _mem_key(self) -> Hashable:
        return tuple((loc_key(k), self.mem[k]) for k in sorted(self.mem, key=loc_key))
