"""SC: sequential consistency. One memory; every access sees the latest store; fences are
no-ops; locks and grace periods only wait."""

from __future__ import annotations

from collections.abc import Hashable

from actors.memory.base import (
    LoadOrder,
    Loc,
    MemoryModel,
    RmwOrder,
    StoreOrder,
    Update,
    Value,
    loc_key,
)


class SC(MemoryModel):
    mode = "SC"

    def __init__(self) -> None:
        super().__init__()
        self.mem: dict[Loc, Value] = {}

    def _get(self, loc: Loc) -> Value:
        if loc in self.mem:
            return self.mem[loc]
        return self.init_values.get(loc, 0)

    def load(
        self, cpu: int, loc: Loc, order: LoadOrder = "once", dep: object = None
    ) -> tuple[Value, object]:
        return self._get(loc), None

    def store(
        self, cpu: int, loc: Loc, value: Value, order: StoreOrder = "once", dep: object = None
    ) -> None:
        self.mem[loc] = value

    def fence(self, cpu: int, kind: str) -> None:
        pass

    def rmw(
        self,
        cpu: int,
        loc: Loc,
        update: Update,
        order: RmwOrder = "full",
        void: bool = False,
        dep: object = None,
    ) -> tuple[Value, bool, object]:
        old = self._get(loc)
        new = update(old)
        if new is None:
            return old, False, None
        self.mem[loc] = new
        return old, True, None

    def lock(self, cpu: int, loc: Loc) -> bool:
        if self._get(loc) != 0:
            return False
        self.mem[loc] = 1
        return True

    def trylock(self, cpu: int, loc: Loc) -> bool:
        return self.lock(cpu, loc)

    def unlock(self, cpu: int, loc: Loc) -> None:
        self.mem[loc] = 0

    def rcu_read_lock(self, cpu: int) -> None:
        self.rcu.enter(cpu)

    def rcu_read_unlock(self, cpu: int) -> None:
        self.rcu.leave(cpu)

    def gp_start(self, cpu: int) -> None:
        self.rcu.start(cpu)

    def gp_end(self, cpu: int) -> bool:
        if self.rcu.blocking(cpu):
            return False
        self.rcu.end(cpu)
        return True

    def final(self, loc: Loc) -> Value:
        return self._get(loc)

    def locations(self) -> list[Loc]:
        return sorted({*self.mem, *self.init_values}, key=loc_key)

    def digest(self) -> Hashable:
        mem = tuple((loc_key(k), self.mem[k]) for k in sorted(self.mem, key=loc_key))
        return (mem, self.rcu.key())
