"""A signal during trio's teardown: held until trio.run has returned, never a stray traceback."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
import trio
from trio._core import _wakeup_socketpair

from emulator.engine import trio_run
from emulator.engine.runtime import ActorSpec, Port, RunConfig, run_sync
from emulator.engine.strategies import make_strategy
from emulator.run import interrupts
from tests.unit.toy import ToyModel


def _signal_in_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """trio's own close, with a SIGTERM sent where a real one can land: after trio closed its
    wakeup socket and before it gave the old wakeup descriptor back."""

    def close(self: Any) -> None:
        self.wakeup_sock.close()
        self.write_sock.close()
        if self.old_wakeup_fd is not None:  # the socketpair that signals wake (trio has two)
            os.kill(os.getpid(), signal.SIGTERM)
            signal.set_wakeup_fd(self.old_wakeup_fd)

    monkeypatch.setattr(_wakeup_socketpair.WakeupSocketpair, "close", close)


async def _nothing() -> int:
    await trio.lowlevel.checkpoint()
    return 7


def _run_with(runner: Callable[[Callable[[], Any]], Any]) -> tuple[Any, int | None]:
    with interrupts.catching():
        value = runner(_nothing)
        return value, interrupts.received()


@pytest.mark.parametrize("other_thread", [False, True], ids=["one-thread", "two-threads"])
def test_a_signal_in_trios_teardown_is_quiet_and_not_lost(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], other_thread: bool
) -> None:
    """With a second thread alive (a pytest-xdist worker, a soak), the kernel may deliver
    the process's signal to that thread: it must find no closed descriptor either."""
    _signal_in_the_window(monkeypatch)
    done = threading.Event()
    if other_thread:
        threading.Thread(target=done.wait, daemon=True).start()
    try:
        value, sig = _run_with(trio_run.run)
    finally:
        done.set()
    assert value == 7
    assert sig == signal.SIGTERM  # delivered, not lost
    assert capfd.readouterr().err == ""  # CPython never wrote to a closed wakeup descriptor
    assert signal.set_wakeup_fd(-1) == -1  # and what was there before the run is back


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_plain_trio_run_meets_the_window(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The fault the wrapper exists for: without it CPython reports the write it could not do."""
    _signal_in_the_window(monkeypatch)
    _run_with(trio.run)
    assert "when trying to write to the signal wakeup fd" in capfd.readouterr().err


def test_a_run_of_the_engine_goes_through_it(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The engine's runs (and so every command's) end inside the held window."""
    _signal_in_the_window(monkeypatch)

    async def prog(p: Port) -> None:
        await p.call("inc", "I")

    with interrupts.catching():
        r = run_sync(ToyModel(), [ActorSpec("a", prog)], RunConfig(make_strategy("chaos", 0)))
        assert interrupts.received() == signal.SIGTERM
    assert r.outcome.status == "clean"
    assert capfd.readouterr().err == ""


def test_the_wakeup_descriptor_before_the_run_is_back_when_it_raises() -> None:
    async def boom() -> None:
        raise ValueError("x")

    r, w = socket.socketpair()
    w.setblocking(False)
    try:
        old = signal.set_wakeup_fd(w.fileno())
        with pytest.warns(RuntimeWarning), pytest.raises(ValueError):  # trio: "collided"
            trio_run.run(boom)
        assert signal.set_wakeup_fd(old) == w.fileno()
    finally:
        r.close()
        w.close()
