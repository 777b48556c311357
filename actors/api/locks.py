"""The actor API for page locks, mutexes, spinlocks and RCU (actors/model/locks.py, rcu.py): one
awaitable per op, each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class LocksApi(Api):
    __slots__ = ()

    # -- locks (actors/model/locks.py) -------------------------------------------------------------
    async def trylock_page(self, label: str, page: Ref) -> bool:
        """trylock_page: test_and_set_bit_lock(PG_locked) (include/linux/pagemap.h)."""
        return bool(await self.port.call("trylock_page", label, page))

    async def lock_page(self, label: str, page: Ref) -> None:
        """lock_page / __lock_page (3.0.1 mm/filemap.c __wait_on_bit_lock; 5.9.1
        wait_on_page_bit_common EXCLUSIVE); wake-up rules per ModelOptions.page_lock_policy."""
        await self.port.call("lock_page", label, page)

    async def lock_page_killable(self, label: str, page: Ref) -> int:
        """lock_page_killable (3.0.1 mm/filemap.c:656 __lock_page_killable, TASK_KILLABLE; 5.9.1
        mm/filemap.c:1516): 0 with the page locked, or -EINTR (-4) when a fatal signal is
        pending or arrives (a step: send_fatal_signal); the era's rules in
        actors/model/waits.py (a lock handed over to a killed 5.9 waiter is kept: unlock it)."""
        return int(await self.port.call("lock_page_killable", label, page))

    async def wait_on_page_locked(self, label: str, page: Ref) -> None:
        """wait_on_page_locked: sleep until the page is unlocked, without taking the lock
        (3.0.1 include/linux/pagemap.h wait_on_page_locked -> wait_on_page_bit; 5.9.1
        mm/filemap.c wait_on_page_bit_common, SHARED)."""
        await self.port.call("wait_on_page_locked", label, page)

    async def page_lock_to_io(self, label: str, page: Ref) -> None:
        """submit_bio with the page locked: the actor named "IO" completes it (end_page_read /
        end_page_writeback, then unlock_page) and may set the page's flags meanwhile."""
        await self.port.call("page_lock_to_io", label, page)

    async def unlock_page(self, label: str, page: Ref) -> None:
        """unlock_page: clear PG_locked, wake_up_page (3.0.1 mm/filemap.c:617; 5.9.1 :1439 with the
        hand-off of 2a9127fcf229)."""
        await self.port.call("unlock_page", label, page)

    async def page_locked(self, label: str, page: Ref) -> bool:
        """PageLocked(page)."""
        return bool(await self.port.call("page_locked", label, page))

    async def mutex_trylock(self, label: str, ref: Ref) -> bool:
        """mutex_trylock (3.0.1 kernel/mutex.c:466)."""
        return bool(await self.port.call("mutex_trylock", label, ref))

    async def mutex_lock(self, label: str, ref: Ref) -> None:
        """mutex_lock (3.0.1 kernel/mutex.c:83, might_sleep); a woken waiter re-competes unless
        ModelOptions.mutex_policy is handoff."""
        await self.port.call("mutex_lock", label, ref)

    async def mutex_unlock(self, label: str, ref: Ref) -> None:
        """mutex_unlock (3.0.1 kernel/mutex.c:110, slow path :309-334: count := 1, wake
        the first waiter)."""
        await self.port.call("mutex_unlock", label, ref)

    async def mutex_is_locked(self, label: str, ref: Ref) -> bool:
        """mutex_is_locked (include/linux/mutex.h)."""
        return bool(await self.port.call("mutex_is_locked", label, ref))

    async def spin_lock(self, label: str, ref: Ref, name: str) -> None:
        """spin_lock (ticket lock, FIFO hand-over)."""
        await self.port.call("spin_lock", label, ref, name)

    async def spin_unlock(self, label: str, ref: Ref, name: str) -> None:
        """spin_unlock."""
        await self.port.call("spin_unlock", label, ref, name)

    async def mutex_trylock_via(self, label: str, ref: Ref, fld: str) -> tuple[bool, Ref]:
        """mutex_trylock(&obj->field->mutex) as ONE step (load and trylock together); split it (read
        + mutex_trylock) where the load can race."""
        r: tuple[bool, Ref] = await self.port.call("mutex_trylock_via", label, ref, fld)
        return r

    async def mutex_lock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        """mutex_lock(&obj->field->mutex): the pointer is re-read at each call (3.0.1
        include/linux/rmap.h:106 anon_vma_lock)."""
        r: Ref = await self.port.call("mutex_lock_via", label, ref, fld)
        return r

    async def mutex_unlock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        """mutex_unlock(&obj->field->mutex), re-reading the pointer (3.0.1 include/linux/rmap.h:111
        anon_vma_unlock)."""
        r: Ref = await self.port.call("mutex_unlock_via", label, ref, fld)
        return r

    async def mutex_is_locked_via(self, label: str, ref: Ref, fld: str) -> bool:
        """mutex_is_locked(&obj->field->mutex) (3.0.1 mm/rmap.c:85 anon_vma_free)."""
        return bool(await self.port.call("mutex_is_locked_via", label, ref, fld))

    async def down_read(self, label: str, ref: Ref, name: str = "mmap_sem") -> None:
        """down_read(&obj->name): shared; queues (FIFO) behind a holding or WAITING writer
        (3.0.1 arch/x86/include/asm/rwsem.h __down_read, lib/rwsem.c)."""
        await self.port.call("down_read", label, ref, name)

    async def down_read_trylock(self, label: str, ref: Ref, name: str = "mmap_sem") -> bool:
        """down_read_trylock: fails if a writer holds it or anybody waits (3.0.1
        arch/x86/include/asm/rwsem.h __down_read_trylock; do_page_fault's first try)."""
        return bool(await self.port.call("down_read_trylock", label, ref, name))

    async def up_read(self, label: str, ref: Ref, name: str = "mmap_sem") -> None:
        """up_read: the last reader wakes the queue (3.0.1 lib/rwsem.c rwsem_wake)."""
        await self.port.call("up_read", label, ref, name)

    async def down_write(self, label: str, ref: Ref, name: str = "mmap_sem") -> None:
        """down_write(&obj->name): exclusive; FIFO queue, granted by the releaser (3.0.1
        lib/rwsem.c __rwsem_do_wake)."""
        await self.port.call("down_write", label, ref, name)

    async def up_write(self, label: str, ref: Ref, name: str = "mmap_sem") -> None:
        """up_write: grant the head writer, or every reader at the head of the queue."""
        await self.port.call("up_write", label, ref, name)

    # -- rcu (actors/model/rcu.py) -----------------------------------------------------------------
    async def rcu_read_lock(self, label: str) -> None:
        """rcu_read_lock (include/linux/rcupdate.h)."""
        await self.port.call("rcu_read_lock", label)

    async def rcu_read_unlock(self, label: str) -> None:
        """rcu_read_unlock."""
        await self.port.call("rcu_read_unlock", label)

    async def call_rcu(self, label: str, ref: Ref) -> None:
        """call_rcu: free after a grace period (fa0d7e3de6d6 for inodes)."""
        await self.port.call("call_rcu", label, ref)

    async def synchronize_rcu(self, label: str) -> None:
        """synchronize_rcu: sleeps until a grace period has ended."""
        await self.port.call("synchronize_rcu", label)

    async def gp_idle(self, label: str) -> None:
        """The RCU actor: wait for callbacks (kernel/rcutree.c of the era, abstracted)."""
        await self.port.call("gp_idle", label)

    async def gp_start(self, label: str) -> int:
        """The RCU actor: start a grace period."""
        return int(await self.port.call("gp_start", label))

    async def gp_wait(self, label: str) -> None:
        """The RCU actor: wait for the pre-existing readers."""
        await self.port.call("gp_wait", label)

    async def gp_end(self, label: str) -> int:
        """The RCU actor: end the grace period and run the callbacks."""
        return int(await self.port.call("gp_end", label))
