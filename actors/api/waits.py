"""The actor API for PG_writeback and fatal signals (actors/model/waits.py): one awaitable per
op, each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class WaitsApi(Api):
    __slots__ = ()

    async def set_page_writeback(self, label: str, page: Ref) -> int:
        """test_set_page_writeback with the page locked (->writepage; 3.0.1
        mm/page-writeback.c): the old PG_writeback."""
        return int(await self.port.call("set_page_writeback", label, page))

    async def end_page_writeback(self, label: str, page: Ref) -> None:
        """end_page_writeback (3.0.1 mm/filemap.c:630): clear PG_writeback, wake every
        waiter."""
        await self.port.call("end_page_writeback", label, page)

    async def wait_on_page_writeback(self, label: str, page: Ref) -> None:
        """wait_on_page_writeback (3.0.1 include/linux/pagemap.h): sleep while PG_writeback."""
        await self.port.call("wait_on_page_writeback", label, page)

    async def wait_on_page_locked_killable(self, label: str, page: Ref) -> int:
        """wait_on_page_locked_killable (3.0.1 include/linux/pagemap.h:368; 5.9.1
        mm/filemap.c:1318): 0 once the page is unlocked (not taking the lock), or -EINTR (-4)
        when a fatal signal ends the wait (the era's rules: ModelOptions.killable_form)."""
        return int(await self.port.call("wait_on_page_locked_killable", label, page))

    async def send_fatal_signal(self, label: str, target: str) -> bool:
        """SIGKILL to the actor named ``target``: its killable sleep ends with -EINTR; True if
        it was sleeping killably."""
        return bool(await self.port.call("send_fatal_signal", label, target))

    async def fatal_signal_pending(self, label: str) -> bool:
        """fatal_signal_pending(current)."""
        return bool(await self.port.call("fatal_signal_pending", label))
