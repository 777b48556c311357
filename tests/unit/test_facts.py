"""Facts and sites: what a model states about each step, and the actor line that issued it,
collected only when a run asks for them, and rendered by explain and the run report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.debug.explain import explain
from emulator.debug.explain_text import plain, render_text, report_lines
from emulator.engine import facts as fk
from emulator.engine.facts import Fact
from emulator.engine.runtime import ActorSpec, Port, RunConfig, RunResult, run_sync
from emulator.engine.sites import Site
from emulator.engine.strategies import make_strategy
from emulator.run.report import head
from emulator.run.scenario import Scenario, Setup
from tests.unit.toy import ToyModel


class FactToy(ToyModel):
    """The toy model, stating what its lock steps do (lock "m" is object 7, gen 1)."""

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        res = super().apply(actor, op, label, args, resumed)
        ctl = self.ctl
        if ctl.facts_on:
            if op == "lock" and res is None:
                ctl.fact(Fact(fk.LOCK, 7, 1, "mutex", "m"))
            elif op == "lock":
                ctl.fact(Fact(fk.WAIT, 7, 1, "mutex", "m", other=self.owner.get("m") or -1))
            elif op == "unlock":
                ctl.fact(Fact(fk.UNLOCK, 7, 1, "mutex", "m"))
            elif op == "inc":
                ctl.fact(Fact(fk.WRITE, 9, 2, "counter", "x", self.x))
        return res


async def locker(p: Port) -> None:
    await p.call("lock", "L1", "m")  # the site explain shows for L1
    await p.call("inc", "L2")
    await p.call("unlock", "L3", "m")


def run(facts: bool, sites: bool, model: ToyModel | None = None) -> RunResult:
    cfg = RunConfig(make_strategy("random", 4), facts=facts, sites=sites)
    actors = [ActorSpec("A", locker), ActorSpec("B", locker)]
    return run_sync(model or FactToy(), actors, cfg)


def toy_scenario() -> Scenario:
    def build(_v: str, _o: Any) -> Setup:
        raise NotImplementedError

    return Scenario("toy", "t0", "toy thread", "toy title", "E0", "a -> b", build, {})


def test_facts_are_collected_per_step_only_when_asked() -> None:
    off = run(facts=False, sites=False)
    on = run(facts=True, sites=True)
    assert off.facts == [] and off.sites == []
    assert len(on.facts) == len(on.events) == len(on.sites)
    assert on.outcome.trace_hash == off.outcome.trace_hash  # collecting changes nothing
    kinds = [f.kind for fs in on.facts for f in fs]
    assert kinds.count(fk.LOCK) == 2 and kinds.count(fk.UNLOCK) == 2
    assert on.has_facts and not off.has_facts


def test_a_model_that_states_nothing_has_no_facts() -> None:
    r = run(facts=True, sites=False, model=ToyModel())
    assert len(r.facts) == len(r.events) and not r.has_facts


def test_sites_name_the_actor_line_that_issued_the_step() -> None:
    r = run(facts=False, sites=True)
    assert all(isinstance(s, Site) for s in r.sites)
    first = r.sites[0]
    assert first is not None
    assert first.filename == __file__ and first.function == "locker"
    line = Path(__file__).read_text().splitlines()[first.line - 1]
    assert 'await p.call("lock", "L1"' in line


def test_api_modules_are_skipped_by_their_marker() -> None:
    from emulator.engine.sites import _is_api

    assert _is_api({"__pcemu_api__": True, "__name__": "actors.api"})
    assert not _is_api({"__name__": "actors.api"})
    assert not _is_api({"__name__": "scenarios.futex.futex_key_uaf"})


def test_explain_renders_locks_and_sites_from_facts() -> None:
    r = run(facts=True, sites=True)
    e = explain({"scenario": "toy", "variant": "buggy"}, toy_scenario(), r)
    first = e.steps[0]
    assert first.takes == "mutex#7.m" and first.held == ("mutex#7.m",)
    assert first.source is not None
    assert first.source.where.endswith(f":{r.sites[0].line}")  # type: ignore[union-attr]
    assert 'p.call("lock", "L1", "m")' in first.source.text
    parks = [s for s in e.steps if s.status == "parks"]
    assert parks and parks[0].waits is not None and parks[0].waits.startswith("mutex#7.m")
    releases = [s for s in e.steps if s.releases]
    assert [s.releases for s in releases] == ["mutex#7.m", "mutex#7.m"]
    assert any(a.kind == "wake" for a in e.arrows)
    text = render_text(e)
    assert "+mutex#7.m" in text and "-mutex#7.m" in text
    assert "counter#9 gen 2" in text  # object lives come from the WRITE facts


def test_explain_shows_reuse_and_stale_from_facts() -> None:
    class Reuse(ToyModel):
        def apply(self, actor: int, op: str, label: str, args: Any, resumed: bool) -> Any:
            res = super().apply(actor, op, label, args, resumed)
            if self.ctl.facts_on and op == "inc":
                n = self.x
                if n == 1:
                    self.ctl.fact(Fact(fk.ALLOC, 3, 1, "page"))
                elif n == 2:
                    self.ctl.fact(Fact(fk.FREE, 3, 1, "page"))
                elif n == 3:
                    self.ctl.fact(Fact(fk.REUSE, 3, 2, "page"))
                else:
                    self.ctl.fact(Fact(fk.STALE, 3, 1, "page", "index"))
            return res

    async def incs(p: Port) -> None:
        for _ in range(4):
            await p.call("inc", "I")

    cfg = RunConfig(make_strategy("random", 0), facts=True)
    r = run_sync(Reuse(), [ActorSpec("A", incs)], cfg)
    e = explain({"scenario": "toy"}, toy_scenario(), r)
    assert [a.text for a in e.arrows if a.kind == "reuse"] == ["page#3 reused: gen 1 -> gen 2"]
    assert e.steps[2].notes == ["reuses page#3: gen 1 -> gen 2 (gen 1 freed at step 2 by A [I])"]
    assert e.steps[3].notes == ["stale: page#3 gen 1 is gen 2 since step 3"]
    assert [(life.gen, life.first, life.last) for life in e.lives] == [(1, 1, 4), (2, 3, 3)]


def test_report_shows_stated_lock_effects() -> None:
    r = run(facts=True, sites=True)
    header = {"scenario": "toy", "variant": "buggy", "strategy": "random", "seed": 4}
    e = explain(header, toy_scenario(), r)
    text = plain(report_lines(e, head(header, r), ["pcemu run toy"], verbose=True))
    assert "+mutex#7.m" in text and "-mutex#7.m" in text
    assert text.splitlines()[0] == "clean: no oracle fired"
    assert text.rstrip().endswith("Reproduce:\n  pcemu run toy")
