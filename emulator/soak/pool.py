"""One worker process as the supervisor sees it: spawn it, send it messages, read its results
under a watchdog (``watchdog``: the worker's own progress, not the supervisor's pauses), kill it.

Each worker gets its own PYTHONHASHSEED, so the self-check, which re-runs a seed on another
worker where it can, also catches a model whose trace depends on set or dict order of strings.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import subprocess
import sys
from typing import Any

import trio

from emulator.soak import protocol
from emulator.soak.protocol import FromWorker, Init, ProtocolError, Ready
from emulator.soak.watchdog import PauseMeter, Watchdog


class WorkerGone(Exception):
    """The worker process died or stopped answering."""

    def __init__(self, hung: bool, returncode: int | None) -> None:
        super().__init__("hung" if hung else f"died ({returncode})")
        self.hung = hung
        self.returncode = returncode


class WorkerProc:
    def __init__(self, wid: int, init: Init, watchdog: float, meter: PauseMeter) -> None:
        self.wid = wid
        self.init = init
        self.dog = Watchdog(watchdog, meter)
        self.proc: trio.Process | None = None
        self.pid: int | None = None
        self.unpacker = protocol.unpacker()
        self.starts = 0
        self.runs = 0  # runs made by the current process

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, timeout: float) -> None:
        """Spawn the process and wait for it to say it is ready (imports done)."""
        env = dict(os.environ, PYTHONHASHSEED=str(1 + secrets.randbelow(2**32 - 1)))
        self.unpacker = protocol.unpacker()
        self.starts += 1
        self.runs = 0
        self.proc = await trio.lowlevel.open_process(
            [sys.executable, "-m", "emulator.soak.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.pid = self.proc.pid
        # Start-up (imports) is timed by the wall clock alone: nothing of it is a run.
        startup = Watchdog(timeout, self.dog.meter, by_cpu=False)
        startup.arm()
        msg = await self.recv(startup)
        if not isinstance(msg, Ready):
            await self.kill()
            raise WorkerGone(False, None)
        await self.send(self.init.wire())

    async def send(self, obj: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            await self.proc.stdin.send_all(protocol.pack(obj))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise WorkerGone(False, await self._reap()) from None

    def _readable(self) -> bool:
        """Has the worker written something not read yet (while we were not looking)?"""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            fd = self.proc.stdout.fileno()  # type: ignore[attr-defined]
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError, AttributeError):
            return False

    async def recv(self, dog: Watchdog | None = None, coalesce: float = 0.0) -> FromWorker:
        """The next message, decoded; WorkerGone if the process ends, sends something that is
        not a message, or makes no progress by the watchdog (``self.dog`` unless given).

        With ``coalesce``, wait that long before reading the pipe again: a worker sends one
        message per run, and reading them in bursts wakes the supervisor (and takes a core
        from the workers) far less often than once per run."""
        assert self.proc is not None and self.proc.stdout is not None
        dog = dog or self.dog
        while True:
            for raw in self.unpacker:
                dog.arm(self.pid)
                try:
                    return protocol.from_worker(raw)
                except ProtocolError:
                    await self.kill()
                    raise WorkerGone(False, self.proc.returncode) from None
            if coalesce:
                await trio.sleep(coalesce)
            data: bytes | bytearray | None = None
            with trio.move_on_after(dog.next_check()):
                try:
                    data = await self.proc.stdout.receive_some(1 << 16)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
            if data is None:
                if self._readable() or not dog.expired():
                    continue
                await self.kill()
                raise WorkerGone(True, None)
            if not data:
                raise WorkerGone(False, await self._reap())
            self.unpacker.feed(data)

    async def _reap(self) -> int | None:
        assert self.proc is not None
        with trio.move_on_after(5):
            return await self.proc.wait()
        await self.kill()
        return self.proc.returncode

    async def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        if not self.alive:
            return
        try:
            await self.send(protocol.Exit.wire())
        except WorkerGone:
            return
        assert self.proc is not None
        with trio.move_on_after(2):
            await self.proc.wait()
            return
        await self.kill()

    async def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
        with trio.CancelScope(shield=True):
            await self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with trio.CancelScope(shield=True):
                    await stream.aclose()
