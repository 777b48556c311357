"""Page-bit waits beyond the page lock, and fatal signals (kernel-scenarios.md 2.2 "waits").

PG_writeback (3.0.1 mm/page-writeback.c test_set_page_writeback / mm/filemap.c
end_page_writeback, include/linux/pagemap.h wait_on_page_writeback): set by ->writepage with the
page locked, cleared by IO completion, which wakes every waiter (a non-exclusive
wait_on_page_bit). The wait-for graph names the actor that set the bit.

Fatal signals: ``send_fatal_signal`` is a step of any actor (a kill(SIGKILL) or the OOM killer):
it marks the target's fatal_signal_pending() and wakes it if it sleeps in a killable wait
(TASK_KILLABLE: lock_page_killable, actors/model/locks.py); the wait then returns -EINTR (3.0.1
mm/filemap.c sleep_on_page_killable: "return fatal_signal_pending(current) ? -EINTR : 0").
"""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.objects import Ref
from emulator.engine.violations import Violation

WRITEBACK = "PG_writeback"


class PageWaits:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks

    # -- PG_writeback --------------------------------------------------------------------------

    @op
    def set_page_writeback(self, cx: Step, page: Ref) -> int:
        """test_set_page_writeback: the old value of PG_writeback; the page must be locked (the
        ->writepage contract, 3.0.1 mm/page-writeback.c:1366; INV-LOCK-3 otherwise)."""
        core = self.core
        o = core.deref(cx, page)
        if not self.locks.holds(cx.actor, self.locks.page_key(page)):
            raise Violation("INV-LOCK-3", f"PG_writeback of page {o.name()} set without PG_locked")
        old = int(o.f["writeback"])
        if not old:
            core.set(cx, o, "writeback", 1)
            lk = self.locks.lock((o.oid, WRITEBACK), "bit")
            lk.owner = cx.actor
            lk.step = cx.step
            lk.label = cx.label
        return old

    @op
    def end_page_writeback(self, cx: Step, page: Ref) -> None:
        """end_page_writeback (3.0.1 mm/filemap.c:630): test_clear_page_writeback (BUG() if it
        was not set), then wake_up_page(page, PG_writeback): every waiter wakes."""
        core = self.core
        o = core.deref(cx, page)
        if not o.f["writeback"]:
            raise Violation(
                "INV-LOCK-1", f"end_page_writeback of page {o.name()} not under writeback (BUG)"
            )
        core.set(cx, o, "writeback", 0)
        lk = self.locks.lock((o.oid, WRITEBACK), "bit")
        lk.owner = None
        while lk.shared:
            core.wake(lk.shared.pop(0))

    @op
    def wait_on_page_writeback(self, cx: Step, page: Ref) -> Any:
        """wait_on_page_writeback: sleep until PG_writeback is clear (a page whose writeback
        was started again meanwhile is waited for again)."""
        core = self.core
        o = core.deref(cx, page)
        if not cx.resumed:
            self.locks.sleeps(cx, "wait_on_page_writeback")
        if not o.f["writeback"]:
            return None
        key = (o.oid, WRITEBACK)
        self.locks.lock(key, "bit").shared.append(cx.actor)
        return core.park(cx, f"wait_on_page_writeback({o.name()})", key)

    # -- fatal signals -------------------------------------------------------------------------

    @op
    def send_fatal_signal(self, cx: Step, target: str) -> bool:
        """SIGKILL to actor ``target``: fatal_signal_pending() from now on; a killable sleep of
        the target ends (its wait returns -EINTR). True if it was sleeping killably."""
        core = self.core
        if target not in core.names:
            raise ValueError(f"send_fatal_signal: no actor named {target!r}")
        who = core.names.index(target)
        core.frames[who].fatal = True
        return self.locks.kill_waiter(who)

    @op
    def fatal_signal_pending(self, cx: Step) -> bool:
        """fatal_signal_pending(current)."""
        return self.core.frames[cx.actor].fatal
