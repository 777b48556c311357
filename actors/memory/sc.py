"""SC: sequential consistency. One memory; every access sees the latest store; fences are
no-ops; locks and grace periods only wait."""

from __future__ import annotations

from collections.abc import Hashable

from actors.memory.base import LoadOrder, Loc, StoreOrder, Value
from actors.memory.flat import FlatMemory


class SC(FlatMemory):
    mode = "SC"

    def load(
        self, cpu: int, loc: Loc, order: LoadOrder = "once", dep: object = None
    ) -> tuple[Value, object]:
        return self._get(loc), None

    def store(
        self,
        cpu: int,
        loc: Loc,
        value: Value,
        order: StoreOrder = "once",
        dep: object = None,
        ctrl: object = None,
    ) -> None:
        self.mem[loc] = value

    def fence(self, cpu: int, kind: str) -> None:
        pass

    def lock(self, cpu: int, loc: Loc) -> bool:
        return self._take(loc)

    def trylock(self, cpu: int, loc: Loc) -> bool:
        return self._take(loc)

    def unlock(self, cpu: int, loc: Loc) -> None:
        self.mem[loc] = 0

    def gp_start(self, cpu: int, domain: Loc | None = None) -> None:
        self.tracker(domain).start(cpu)

    def gp_end(self, cpu: int, domain: Loc | None = None) -> bool:
        rcu = self.tracker(domain)
        if rcu.blocking(cpu):
            return False
        rcu.end(cpu)
        return True

    def digest(self) -> Hashable:
        return (self._mem_key(), self.rcu_key())
