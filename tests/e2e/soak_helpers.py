"""Helpers for the soak tests: start ``pcemu soak`` as a real process, watch its store, and
user scenario scripts that misbehave under some seeds only."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.run.session import execute
from emulator.soak.findings import classify
from emulator.soak.plan import Lane

# CPU0 looks a page up, locks it and finds it truncated under it: that happens under some
# schedules only (tests find those seeds with truncated_seeds). What CPU0 then does is the MODE.
SCRIPT = """
from __future__ import annotations

import os
import random
from collections.abc import Mapping

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.objects import FILE
from emulator.run.scenario import Scenario, Setup

MODE = "{mode}"


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel()
    _inode, mapping = model.new_file(size=4096)
    page = model.new_page(FILE)
    model.cache_initial(mapping, page, index=0)
    m = model.ref(mapping)
    extra = MODE == "random" and random.random() < 0.5  # nondeterministic on purpose

    async def invalidate(k: K) -> None:
        if extra:
            await k.tree_load("X0", m, 0)
        found = await k.tree_load("D1a", m, 0)
        if found is None or not await k.get_page_unless_zero("D1b", found, "lookup:CPU0"):
            return
        if await k.trylock_page("D1c", found):
            mapping_now, _anon = await k.page_mapping("D2", found)
            if mapping_now is None:
                if MODE == "raise":
                    raise RuntimeError("page truncated under us")
                if MODE == "spin":
                    while True:  # never returns to the engine: only the watchdog sees it
                        pass
                if MODE == "die":
                    os._exit(7)
                if MODE == "loop":
                    while True:
                        await k.page_mapping("L1", found)
            await k.unlock_page("D4", found)
        await k.put_page("D4", found, "lookup:CPU0")

    async def truncate(k: K) -> None:
        found = await k.tree_load("T2a", m, 0)
        if found is None or not await k.get_page_unless_zero("T2a", found, "lookup:CPU1"):
            return
        await k.lock_page("T2a", found)
        mapping_now, _anon = await k.page_mapping("T2b", found)
        if mapping_now is not None:
            await k.delete_from_page_cache("T2e", found)
        await k.unlock_page("T2f", found)
        await k.put_page("T2f", found, "lookup:CPU1")

    return Setup(
        model=model,
        actors=[actor("CPU0", invalidate), actor("CPU1", truncate)],
        windows=[("D1b", "D2")],
    )


SCENARIO = Scenario(
    name="soak-{mode}",
    spec_id="test",
    thread="soak test",
    title="misbehaves ({mode}) when the page was truncated under CPU0",
    era="E2011",
    commits="-",
    build=build,
    expects={{"buggy": ()}},
    variants=("buggy",),
    budget=300,
)
"""


def script(tmp: Path, mode: str) -> Path:
    p = tmp / f"soak_{mode}.py"
    p.write_text(SCRIPT.format(mode=mode))
    return p


def truncated_seeds(tmp: Path, seeds: range, strategy: str = "chaos") -> list[int]:
    """The seeds under which CPU0 finds the page truncated (where every MODE misbehaves)."""
    probe = script(tmp, "raise")
    return [
        s for s in seeds if execute(Lane(str(probe), "buggy", strategy).spec(s))[1].outcome.failed
    ]


def mixed_seeds(
    tmp: Path, least: int, strategy: str = "chaos", limit: int = 300
) -> tuple[int, list[int]]:
    """The fewest seeds ``n >= least`` such that ``[0, n)`` holds both seeds under which CPU0
    finds the page truncated and seeds under which it does not, and those truncated seeds. A
    soak of ``--seeds n`` then has runs that misbehave and runs that do not, whichever seeds the
    seeding maps to such schedules (looked up, not assumed)."""
    lane = Lane(str(script(tmp, "raise")), "buggy", strategy)
    bad: list[int] = []
    for s in range(limit):
        if execute(lane.spec(s))[1].outcome.failed:
            bad.append(s)
        if s + 1 >= least and 0 < len(bad) < s + 1:
            return s + 1, bad
    raise AssertionError(f"{strategy}: {len(bad)} of seeds 0-{limit - 1} truncate, all or none")


def expected_findings(lane: Lane, seeds: range) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(kind, oracle, label) -> (count, smallest seed), computed in this process, run by run."""
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for s in seeds:
        scen, result = execute(lane.spec(s))
        f = classify(scen, lane.scenario, lane.variant, result)
        if f is not None:
            key = (f.kind, f.oracle, f.label)
            n, lo = out.get(key, (0, s))
            out[key] = (n + 1, min(lo, s))
    return out


def pcemu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Soak:
    """A ``pcemu soak`` process in its own session (so a test can signal its process group,
    as a terminal's Ctrl-C does, and find its workers)."""

    # Every soak a test started; tests/e2e/conftest.py kills those still running when the test
    # ends, so a failed assertion does not leave a soak (and its workers) running for good.
    started: list[Soak] = []

    def __init__(self, out: Path, *args: str, cwd: Path) -> None:
        Soak.started.append(self)
        self.out = out
        self.stdout = out.parent / f"{out.name}.stdout"
        self.stderr = out.parent / f"{out.name}.stderr"
        with self.stdout.open("w") as o, self.stderr.open("w") as e:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "emulator",
                    "soak",
                    "--out",
                    str(out),
                    "--progress",
                    "json",
                    "--heartbeat",
                    "0.5",
                    "--listen",
                    "127.0.0.1:0",
                    *args,
                ],
                cwd=cwd,
                stdout=o,
                stderr=e,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the soak's whole process group (supervisor and workers) if it still runs."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def wait(self, timeout: float = 120) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"soak did not stop in {timeout}s:\n{self.log()}") from None

    def log(self) -> str:
        return self.stdout.read_text() + "\n--- stderr ---\n" + self.stderr.read_text()[-4000:]

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / "summary.json").read_text())
        return data

    def workers(self) -> list[int]:
        """Worker processes of this soak still alive (same session id)."""
        pids = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                cmd = (d / "cmdline").read_bytes()
                if b"emulator.soak.worker" in cmd and os.getsid(int(d.name)) == self.proc.pid:
                    stat = (d / "stat").read_text()
                    if stat.rsplit(")", 1)[1].split()[0] != "Z":
                        pids.append(int(d.name))
            except (OSError, ProcessLookupError):
                continue
        return pids


def wait_for(pred: Callable[[], bool], timeout: float, what: str, soak: Soak | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if soak is not None and soak.proc.poll() is not None:
            raise AssertionError(
                f"soak exited ({soak.proc.returncode}) before {what}:\n" + soak.log()
            )
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{soak.log()}" if soak else ""))


def crash(soak: Soak) -> None:
    """SIGKILL the supervisor, as a crash or the OOM killer would: no chance to clean up or
    write a summary. Its workers notice they were orphaned and go away by themselves."""
    os.kill(soak.proc.pid, signal.SIGKILL)
    soak.proc.wait()
    wait_for(lambda: not soak.workers(), 10, "the orphaned workers to exit")


def query(out: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the store the way another process would (the soak may be writing it)."""
    db = out / "findings.db"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return []  # tables not created yet
    finally:
        con.close()


def committed_batches(out: Path) -> int:
    rows = query(out, "SELECT COUNT(*) FROM batches WHERE lane != 'selfcheck'")
    return int(rows[0][0]) if rows else 0


def findings(out: Path) -> dict[tuple[str, str, str, str, str], tuple[int, int, str]]:
    """(kind, scenario, variant, oracle, label) -> (count, seed, strategy)."""
    rows = query(
        out, "SELECT kind, scenario, variant, oracle, label, count, seed, strategy FROM findings"
    )
    return {tuple(r[:5]): (int(r[5]), int(r[6]), str(r[7])) for r in rows}  # type: ignore[misc]
