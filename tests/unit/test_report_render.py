"""The report renderer's general rules on the toy model: the key fact of a stale reference,
loops folded, address arguments in hex, None results shown, colour only on a terminal, and the
heartbeat progress lines."""

from __future__ import annotations

import io
from typing import Any

from emulator.cli.progress import Heartbeat, progress
from emulator.debug.explain import explain
from emulator.debug.explain_analysis import folds, snapshot_objects
from emulator.debug.explain_text import colored, emit, explain_lines, plain, use_color
from emulator.engine.runtime import ActorSpec, Port, RunConfig, run_sync
from emulator.engine.strategies import make_strategy
from tests.unit.test_facts import toy_scenario
from tests.unit.toy import ToyModel


class Slab(ToyModel):
    """Object 5 is freed and reused (gen 2) and its field ``root`` then names object 9; the
    model describes references as ``obj#N gen G`` and takes an address argument."""

    def __init__(self) -> None:
        super().__init__()
        self.gen = 1
        self.root = 5

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        self.log.append((actor, label))
        if op == "load":
            return (5, self.gen)
        if op == "recycle":
            self.gen += 1
            return (5, self.gen)
        if op == "set_root":
            self.root = 9
            return None
        if op == "follow":  # follow(ref, 'root'): what the object's root field holds now
            return (self.root, 1)
        if op == "zap":
            return None
        return super().apply(actor, op, label, args, resumed)

    def op_zap(self, actor: int, addr: int) -> int | None:  # the signature the renderer reads
        return None

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        def fmt(v: Any) -> str:
            if isinstance(v, tuple) and len(v) == 2 and all(type(x) is int for x in v):
                return f"obj#{v[0]} gen {v[1]}"
            return repr(v)

        text = f"{op}({', '.join(fmt(a) for a in args)})"
        return text + (f" = {fmt(result)}" if result is not None else "")


async def walker(p: Port) -> None:
    ref = await p.call("load", "W1")
    await p.call("lock", "W2", "gate")  # waits while the other actor recycles the object
    await p.call("follow", "W3", tuple(ref), "root")
    await p.call("unlock", "W4", "gate")


async def recycler(p: Port) -> None:
    await p.call("lock", "R0", "gate")
    await p.call("recycle", "R1")
    await p.call("set_root", "R2", (5, 2), (9, 1))
    await p.call("zap", "R3", 4096)
    await p.call("unlock", "R4", "gate")


def slab_run() -> Any:
    cfg = RunConfig(make_strategy("random", 1), directed=(("B", "R0"), ("A", "W1")))
    return run_sync(Slab(), [ActorSpec("A", walker), ActorSpec("B", recycler)], cfg)


def test_the_key_fact_is_a_value_reached_through_a_stale_reference() -> None:
    r = slab_run()
    e = explain({"scenario": "toy", "variant": "buggy"}, toy_scenario(), r)
    assert [k.label for k in e.keys] == ["W3"]
    key = e.keys[0].key or ""
    assert key.startswith("[W3] returned obj#9 gen 1, a value of obj#5 gen 2, written by B [R2]")
    assert "earlier load at step" in key and "saw gen 1" in key
    text = plain(explain_lines(e))
    assert "  Key fact: A [W3] returned obj#9 gen 1" in text
    assert "zap(0x1000) = None" in text  # address in hex; a None answer is shown


def test_loops_are_folded_generically() -> None:
    async def spinner(p: Port) -> None:
        await p.call("inc", "S0")
        for _ in range(10):
            await p.call("inc", "L1")
            await p.call("inc", "L2")
        await p.call("inc", "S9")

    r = run_sync(ToyModel(), [ActorSpec("A", spinner)], RunConfig(make_strategy("random", 0)))
    e = explain({"scenario": "toy"}, toy_scenario(), r)
    (f,) = folds(e.steps)
    assert (f.first, f.period, f.times) == (2, 2, 10)
    text = plain(explain_lines(e))
    assert "\u00d710 iterations of L1\u2013L2 (steps 2-21); 16 steps folded" in text
    assert "16 steps folded" not in plain(explain_lines(e, verbose=True))


def test_snapshot_keeps_only_the_objects_asked_for() -> None:
    lines = [
        "actors:",
        "  A: holds nothing",
        "objects:",
        "  page#4 gen 1 LIVE: x=1",
        "      step 3 [L] x := 1",
        "  mm#1 gen 1 LIVE: y",
        "      step 2 [M] y := 2",
    ]
    kept, left = snapshot_objects(lines, {4})
    assert left == 1 and kept == lines[:5]


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: Any) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    r = slab_run()
    lines = explain_lines(explain({"scenario": "toy"}, toy_scenario(), r))
    out = Tty()
    emit(lines, out)
    assert "\x1b[" not in out.getvalue()  # NO_COLOR
    assert "\x1b[" in colored(lines)


def test_heartbeat_lines_off_a_terminal() -> None:
    out = io.StringIO()
    now = [0.0]
    hb = Heartbeat("hunt", 200, "seed", out, interval=5.0, clock=lambda: now[0])
    with hb:
        for i in range(30):
            now[0] = i * 0.5
            hb.advance(steps=10, hit=i == 20)
    assert out.getvalue().splitlines() == [
        "hunt: 11/200 seeds, 2.2 seeds/s, 0 hits, 110 steps",
        "hunt: 21/200 seeds, 2.1 seeds/s, 1 hit, 210 steps",
    ]
    assert type(progress("x", 1, out=io.StringIO(), quiet=True)).__name__ == "Progress"
    assert isinstance(progress("x", 1, out=io.StringIO()), Heartbeat)
