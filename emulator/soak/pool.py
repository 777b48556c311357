"""One worker process as the supervisor sees it: spawn it, send it messages, read its results
with a wall-clock watchdog, kill it.

Each worker gets its own PYTHONHASHSEED, so the self-check, which re-runs a seed on another
worker where it can, also catches a model whose trace depends on set or dict order of strings.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from typing import Any

import trio

from emulator.soak import protocol


class WorkerGone(Exception):
    """The worker process died or stopped answering."""

    def __init__(self, hung: bool, returncode: int | None) -> None:
        super().__init__("hung" if hung else f"died ({returncode})")
        self.hung = hung
        self.returncode = returncode


class WorkerProc:
    def __init__(self, wid: int, init: dict[str, Any]) -> None:
        self.wid = wid
        self.init = init
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
        msg = await self.recv(timeout)
        if not (isinstance(msg, dict) and msg.get("op") == protocol.READY):
            await self.kill()
            raise WorkerGone(False, None)
        await self.send(self.init)

    async def send(self, obj: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            await self.proc.stdin.send_all(protocol.pack(obj))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise WorkerGone(False, await self._reap()) from None

    async def recv(self, timeout: float, coalesce: float = 0.0) -> Any:
        """The next message; WorkerGone if the process ends or says nothing for ``timeout``.

        With ``coalesce``, wait that long before reading the pipe again: a worker sends one
        message per run, and reading them in bursts wakes the supervisor (and takes a core
        from the workers) a hundred times a second instead of once per run."""
        assert self.proc is not None and self.proc.stdout is not None
        with trio.move_on_after(timeout):
            while True:
                for msg in self.unpacker:
                    return msg
                if coalesce:
                    await trio.sleep(coalesce)
                try:
                    data = await self.proc.stdout.receive_some(1 << 16)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                if not data:
                    raise WorkerGone(False, await self._reap())
                self.unpacker.feed(data)
        await self.kill()
        raise WorkerGone(True, None)

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
            await self.send({"op": protocol.EXIT})
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
