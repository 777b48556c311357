"""FUSE: the request queue between tasks and the userspace server (kernel-scenarios.md 2.5
"FUSE DAEMON", scenario 004a), the daemon actor, and fuse_readpage.

A task sends a request and sleeps until the daemon answers it (request_wait_answer). The daemon
is a kernel-visible actor that loops forever: read a request from /dev/fuse (sleeping idle when
there is none), serve it against its backing store (which never touches this file's page
cache), write the reply. A task waiting for a reply waits for the daemon: the wait-for graph
gets that edge, so a daemon stuck behind a page lock would close a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.kfault import KV
from actors.state import KernelState, Ref
from emulator.engine.runtime import Port, WaitInfo

FUSE_DAEMON = "FUSED"


@dataclass
class FuseReq:
    kind: str  # "READ", "WRITE"
    actor: int
    arg: Any
    done: bool = False
    result: Any = None


class FuseMixin(KernelState):
    def __init__(self) -> None:
        super().__init__()
        self.fuse_reqs: dict[int, FuseReq] = {}
        self.fuse_queue: list[int] = []
        self.fuse_waiting: dict[int, int] = {}  # actor -> request it sleeps on
        self.fuse_daemon: int | None = None
        self.fuse_daemon_idle = False

    def wait_info(self, actor: int) -> WaitInfo:
        req = self.fuse_waiting.get(actor)
        if req is None:
            return super().wait_info(actor)
        r = self.fuse_reqs[req]
        return WaitInfo(f"fuse reply to {r.kind} #{req}", self.fuse_daemon)

    def op_fuse_send(self, actor: int, kind: str, arg: Any) -> int:
        """fuse_simple_request, first half: queue the request and wake the daemon."""
        req = len(self.fuse_reqs) + 1
        self.fuse_reqs[req] = FuseReq(kind, actor, arg)
        self.fuse_queue.append(req)
        if self.fuse_daemon is not None and self.fuse_daemon_idle:
            self.fuse_daemon_idle = False
            self.wake(self.fuse_daemon)
        return req

    def op_fuse_wait(self, actor: int, req: int) -> Any:
        """request_wait_answer: sleep until the daemon has replied."""
        r = self.fuse_reqs[req]
        if not self._resumed:
            self.sleeps(actor, "fuse request_wait_answer")
        if r.done:
            self.fuse_waiting.pop(actor, None)
            return r.result
        self.fuse_waiting[actor] = req
        return self.park(actor, f"fuse reply to {r.kind} #{req}", None)

    def op_fuse_dev_read(self, actor: int) -> Any:
        """The daemon's read(/dev/fuse): (request, kind, arg) of the oldest request, or sleep
        idle until one comes."""
        self.fuse_daemon = actor
        if not self.fuse_queue:
            self.fuse_daemon_idle = True
            return self.park(actor, "no fuse request", None, idle=True)
        req = self.fuse_queue.pop(0)
        r = self.fuse_reqs[req]
        return (req, r.kind, r.arg)

    def op_fuse_dev_write(self, actor: int, req: int, result: Any) -> None:
        """The daemon's reply: the requester wakes."""
        r = self.fuse_reqs[req]
        r.done = True
        r.result = result
        if self.fuse_waiting.pop(r.actor, None) is not None:
            self.wake(r.actor)


# -- actor-side routines -------------------------------------------------------------------


async def fuse_daemon(port: Port) -> None:
    """The userspace server: answers every request from its backing store."""
    k = KV(port)
    while True:
        req, _kind, _arg = await k.fuse_dev_read("D1")
        await k.fuse_dev_write("D2", req, 0)


async def fuse_request(k: KV, label: str, kind: str, arg: Any) -> Any:
    """fuse_simple_request: send, then sleep until the reply."""
    req = await k.fuse_send(label, kind, arg)
    return await k.fuse_wait(label, req)


async def fuse_readpage(k: KV, page: Ref) -> None:
    """fuse_readpage (called with the page locked): a synchronous READ, then the page is
    uptodate and unlocked."""
    await fuse_request(k, "RP1", "READ", page)
    await k.set_page_flag("RP2", page, "uptodate", 1)
    await k.unlock_page("RP3", page)
