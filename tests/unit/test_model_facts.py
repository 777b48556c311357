"""The model states facts for explain only when the run asks for them, through the generic
helpers, and stating them changes no reply and no state."""

from __future__ import annotations

from typing import Any

from actors.model import PageCacheModel
from actors.objects import FILE
from emulator.engine import facts as F


class Ctl:
    def __init__(self, facts_on: bool) -> None:
        self.facts_on = facts_on
        self.facts: list[F.Fact] = []
        self.steps = 0
        self.now = 0

    def choose(self, n: int, kind: str) -> int:
        return 0

    def wake(self, actor: int) -> None:
        pass

    def actor_name(self, actor: int) -> str:
        return f"CPU{actor}"

    def fact(self, f: F.Fact) -> None:
        self.facts.append(f)


def run(facts_on: bool) -> tuple[list[Any], list[str], Ctl]:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    ctl = Ctl(facts_on)
    m.bind(ctl, ["CPU0", "CPU1"])
    steps: list[tuple[int, str, tuple[Any, ...]]] = [
        (0, "rcu_read_lock", ()),
        (0, "read", (p, "index")),
        (0, "rcu_read_unlock", ()),
        (0, "lock_page", (p,)),
        (1, "lock_page", (p,)),
        (0, "set_page_flag", (p, "dirty", 1)),
        (0, "unlock_page", (p,)),
        (1, "unlock_page", (p,)),
    ]
    replies = []
    for actor, op, args in steps:
        ctl.steps += 1
        replies.append(m.apply(actor, op, "L", args, False))
    return replies, m.snapshot(), ctl


def test_facts_change_nothing_and_cover_the_generic_helpers() -> None:
    quiet = run(False)
    loud = run(True)
    assert quiet[0] == loud[0]
    assert quiet[1] == loud[1]
    assert quiet[2].facts == []
    kinds = [f.kind for f in loud[2].facts]
    for kind in (F.RCU_LOCK, F.READ, F.RCU_UNLOCK, F.LOCK, F.WAIT, F.WRITE, F.UNLOCK, F.WAKE):
        assert kind in kinds, kind
    wait = next(f for f in loud[2].facts if f.kind == F.WAIT)
    assert (wait.name, wait.other) == ("PG_locked", 0)  # CPU1 waits for the owner, CPU0
    wake = next(f for f in loud[2].facts if f.kind == F.WAKE)
    assert wake.other == 1
