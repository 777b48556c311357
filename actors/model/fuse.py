"""FUSE: the request queue between tasks and the userspace server (kernel-scenarios.md 2.5
"FUSE DAEMON", scenario 004a).

A task sends a request and sleeps until the daemon answers it (request_wait_answer). The daemon
is a kernel-visible actor that loops forever: read a request from /dev/fuse (sleeping idle when
there is none), serve it against its backing store (which never touches this file's page
cache), write the reply. A task waiting for a reply waits for the daemon: the wait-for graph
gets that edge (``wait_info``), so a daemon stuck behind a page lock would close a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from emulator.engine.runtime import WaitInfo


@dataclass
class FuseReq:
    kind: str  # "READ", "WRITE"
    actor: int
    arg: Any
    done: bool = False
    result: Any = None


class Fuse:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks
        self.fuse_reqs: dict[int, FuseReq] = {}
        self.fuse_queue: list[int] = []
        self.fuse_waiting: dict[int, int] = {}  # actor -> request it sleeps on
        self.fuse_daemon: int | None = None
        self.fuse_daemon_idle = False

    def wait_info(self, actor: int) -> WaitInfo | None:
        """What ``actor`` waits for if it sleeps on a fuse reply; None otherwise."""
        req = self.fuse_waiting.get(actor)
        if req is None:
            return None
        r = self.fuse_reqs[req]
        return WaitInfo(f"fuse reply to {r.kind} #{req}", self.fuse_daemon)

    @op
    def fuse_send(self, cx: Step, kind: str, arg: Any) -> int:
        """fuse_simple_request, first half: queue the request and wake the daemon."""
        req = len(self.fuse_reqs) + 1
        self.fuse_reqs[req] = FuseReq(kind, cx.actor, arg)
        self.fuse_queue.append(req)
        if self.fuse_daemon is not None and self.fuse_daemon_idle:
            self.fuse_daemon_idle = False
            self.core.wake(self.fuse_daemon)
        return req

    @op
    def fuse_wait(self, cx: Step, req: int) -> Any:
        """request_wait_answer: sleep until the daemon has replied."""
        r = self.fuse_reqs[req]
        if not cx.resumed:
            self.locks.sleeps(cx, "fuse request_wait_answer")
        if r.done:
            self.fuse_waiting.pop(cx.actor, None)
            return r.result
        self.fuse_waiting[cx.actor] = req
        return self.core.park(cx, f"fuse reply to {r.kind} #{req}", None)

    @op
    def fuse_dev_read(self, cx: Step) -> Any:
        """The daemon's read(/dev/fuse): (request, kind, arg) of the oldest request, or sleep
        idle until one comes."""
        self.fuse_daemon = cx.actor
        if not self.fuse_queue:
            self.fuse_daemon_idle = True
            return self.core.park(cx, "no fuse request", None, idle=True)
        req = self.fuse_queue.pop(0)
        r = self.fuse_reqs[req]
        return (req, r.kind, r.arg)

    @op
    def fuse_dev_write(self, cx: Step, req: int, result: Any) -> None:
        """The daemon's reply: the requester wakes."""
        r = self.fuse_reqs[req]
        r.done = True
        r.result = result
        if self.fuse_waiting.pop(r.actor, None) is not None:
            self.core.wake(r.actor)
