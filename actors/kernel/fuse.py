"""FUSE on the actor side (kernel-scenarios.md 2.5 "FUSE DAEMON", scenario 004a): the userspace
server as a daemon actor, a synchronous request, and fuse_readpage."""

from __future__ import annotations

from typing import Any

from actors.api import K
from actors.objects import Ref

FUSE_DAEMON = "FUSED"


async def fuse_daemon(k: K) -> None:
    """The userspace server: answers every request from its backing store."""
    while True:
        req, _kind, _arg = await k.fuse_dev_read("D1")
        await k.fuse_dev_write("D2", req, 0)


async def fuse_request(k: K, label: str, kind: str, arg: Any) -> Any:
    """fuse_simple_request: send, then sleep until the reply."""
    req = await k.fuse_send(label, kind, arg)
    return await k.fuse_wait(label, req)


async def fuse_readpage(k: K, page: Ref) -> None:
    """fuse_readpage (called with the page locked): a synchronous READ, then the page is
    uptodate and unlocked."""
    await fuse_request(k, "RP1", "READ", page)
    await k.set_page_flag("RP2", page, "uptodate", 1)
    await k.unlock_page("RP3", page)
