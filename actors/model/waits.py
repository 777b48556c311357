"""Page-bit waits beyond the page lock, and fatal signals (kernel-scenarios.md 2.2 "waits").

PG_writeback (3.0.1 mm/page-writeback.c test_set_page_writeback / mm/filemap.c
end_page_writeback, include/linux/pagemap.h wait_on_page_writeback): set by ->writepage with the
page locked, cleared by IO completion, which wakes every waiter (a non-exclusive
wait_on_page_bit). The wait-for graph names the actor that set the bit.

The page lock's other waits: wait_on_page_locked (non-exclusive), lock_page_killable and
wait_on_page_locked_killable (TASK_KILLABLE). Fatal signals: ``send_fatal_signal`` is a step of
any actor (a kill(SIGKILL) or the OOM killer): it marks the target's fatal_signal_pending() and
wakes it if it sleeps killably (signal_wake_up), WITHOUT taking it off its wait queue: it leaves
the queue only when it runs. What the woken task then does is the era's
(``ModelOptions.killable_form``):
  3.0  (3.0.1 mm/filemap.c:186 sleep_on_page_killable, kernel/wait.c:219 __wait_on_bit_lock): the
       wait ends with -EINTR whenever a fatal signal is pending after the sleep, even if
       unlock_page woke it; abort_exclusive_wait (kernel/wait.c:148) then passes that exclusive
       wake-up on to the next waiter if the bit is clear, so the page lock still reaches it;
  4.9  (4.9 kernel/sched/wait.c:413 __wait_on_bit_lock): a killed waiter still tries
       test_and_set_bit once and returns 0 with the lock if it is free;
  5.9  (5.9.1 mm/filemap.c:1172 wait_on_page_bit_common): the flags decide: a lock handed over
       by the waker (WQ_FLAG_DONE: P-FAIR, or P-UNFAIR after its rounds) is kept and the wait
       returns 0 even though the signal is pending (the caller owns the page lock and must
       unlock it); a waiter woken without the lock (WQ_FLAG_WOKEN) tries the bit; one the
       queue never woke returns -EINTR. A woken non-exclusive waiter returns 0.
A page lock's exclusive wake-up is never lost to a killed waiter in any of these forms.
"""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, LockKey, Step
from actors.model.locks import Lock, Locks
from actors.model.ops import op
from actors.objects import Ref
from emulator.engine.violations import Violation

WRITEBACK = "PG_writeback"
EINTR = -4


class PageWaits:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks
        self.form = locks.options.killable_form

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

    # -- the page lock's non-exclusive and killable waits ------------------------------------

    @op
    def wait_on_page_locked(self, cx: Step, page: Ref) -> Any:
        """wait_on_page_locked (a non-exclusive wait_on_page_bit): sleep until PG_locked is
        clear, without taking it; every unlock_page wakes all such waiters. Before 5.9 a waiter
        that finds the page locked again sleeps again (3.0.1 kernel/wait.c:194
        __wait_on_bit's loop); from 5.9 a woken shared waiter is done, locked again or not
        (5.9.1 mm/filemap.c:1257, "If we were non-exclusive, we're done")."""
        o = self.core.deref(cx, page)
        key = self.locks.page_key(page)
        lk = self.locks.lock(key, "page")
        if not cx.resumed:
            self.locks.sleeps(cx, "wait_on_page_locked")
        elif self.form == "5.9":
            return None
        if lk.owner is None:
            return None
        lk.shared.append(cx.actor)
        return self.core.park(cx, f"wait_on_page_locked({o.name()})", key)

    def _sleep(self, cx: Step, lk: Lock, key: LockKey, what: str, exclusive: bool) -> Any:
        """TASK_KILLABLE sleep on the page's queue (exclusive: at the tail of the waiters)."""
        self.core.frames[cx.actor].killable = True
        if exclusive:
            return self.locks.park(cx, lk, what, key)
        lk.shared.append(cx.actor)
        return self.core.park(cx, what, key)

    def _killable_wait(self, cx: Step, page: Ref, name: str) -> tuple[LockKey, Lock, bool, str]:
        """What both killable waits start with: the page's lock, whether a fatal signal is
        pending, and (on the first entry) the sleep's record with no wake-up left over."""
        o = self.core.deref(cx, page)
        key = self.locks.page_key(page)
        lk = self.locks.lock(key, "page")
        fatal = self.core.frames[cx.actor].fatal
        if not cx.resumed:
            self.locks.sleeps(cx, name)
            self.locks.woken.discard(cx.actor)
        return key, lk, fatal, f"{name}({o.name()})"

    def _resumed(self, cx: Step, queue: list[int]) -> tuple[bool, bool]:
        """A killable waiter runs again: (woken by the queue, still on the queue), and it is off
        the queue from now on (finish_wait / abort_exclusive_wait's list_del)."""
        self.core.frames[cx.actor].killable = False
        woken = cx.actor in self.locks.woken
        self.locks.woken.discard(cx.actor)
        queued = cx.actor in queue
        if queued:
            queue.remove(cx.actor)
        return woken, queued

    @op
    def lock_page_killable(self, cx: Step, page: Ref) -> Any:
        """lock_page_killable (3.0.1 include/linux/pagemap.h: trylock_page, else
        mm/filemap.c:656 __lock_page_killable; 5.9.1 mm/filemap.c:1516): 0 with the page
        locked, or -EINTR (-4) when a fatal signal is pending as it would sleep or arrives
        while it sleeps (the era's rules: module docstring). A free page is taken even with a
        signal pending."""
        locks = self.locks
        key, lk, fatal, what = self._killable_wait(cx, page, "lock_page_killable")
        if not cx.resumed:
            if lk.owner is None:
                locks.acquire(cx, key, lk)
                return 0
            if fatal:  # the sleep ends at once: signal_pending_state(TASK_KILLABLE)
                return EINTR
            return self._sleep(cx, lk, key, what, exclusive=True)
        woken, queued = self._resumed(cx, lk.waiters)
        if lk.owner == cx.actor:
            return 0  # handed over by the waker (WQ_FLAG_DONE)
        if fatal and self.form == "3.0":
            if woken and not queued and lk.owner is None:
                locks.wake_exclusive(cx, key, lk)  # abort_exclusive_wait: pass the wake-up on
            return EINTR
        if fatal and self.form == "5.9" and queued:
            return EINTR  # never WOKEN: signal_pending_state breaks the loop
        if lk.owner is None:  # test_and_set_bit (4.9: even when killed; 5.9: once WOKEN)
            locks.acquire(cx, key, lk)
            return 0
        if fatal:
            return EINTR
        return self._sleep(cx, lk, key, what, exclusive=True)  # lost the race: the tail again

    @op
    def wait_on_page_locked_killable(self, cx: Step, page: Ref) -> Any:
        """wait_on_page_locked_killable (3.0.1 include/linux/pagemap.h:368 ->
        mm/filemap.c:576 wait_on_page_bit_killable; 5.9.1 mm/filemap.c:1318): sleep until the
        page is unlocked, without taking it: 0, or -EINTR (-4) when a fatal signal ends the
        wait (3.0 / 4.9: any signal pending after the sleep; 5.9: only if no unlock woke it)."""
        key, lk, fatal, what = self._killable_wait(cx, page, "wait_on_page_locked_killable")
        if not cx.resumed:
            if lk.owner is None:
                return 0  # !PageLocked(page)
            if fatal:
                return EINTR
            return self._sleep(cx, lk, key, what, exclusive=False)
        woken, _queued = self._resumed(cx, lk.shared)
        if self.form == "5.9":
            return 0 if woken else EINTR  # "return wait->flags & WQ_FLAG_WOKEN ? 0 : -EINTR"
        if fatal:
            return EINTR  # sleep_on_page_killable's verdict ends __wait_on_bit
        if lk.owner is None:
            return 0
        return self._sleep(cx, lk, key, what, exclusive=False)  # locked again: sleep again

    # -- fatal signals -------------------------------------------------------------------------

    @op
    def send_fatal_signal(self, cx: Step, target: str) -> bool:
        """SIGKILL to actor ``target``: fatal_signal_pending() from now on; a killable sleep of
        the target ends (its wait returns -EINTR). True if it was sleeping killably."""
        core = self.core
        if target not in core.names:
            raise ValueError(f"send_fatal_signal: no actor named {target!r}")
        who = core.names.index(target)
        fr = core.frames[who]
        fr.fatal = True
        if not fr.killable or fr.waiting is None:
            return False
        core.wake(who)  # signal_wake_up: it stays on its wait queue until it runs
        return True

    @op
    def fatal_signal_pending(self, cx: Step) -> bool:
        """fatal_signal_pending(current)."""
        return self.core.frames[cx.actor].fatal
