"""pcemu explain under TSO and WEAK: the stale read that made a barrier scenario fail is named
(the value read, the store it missed, the barriers in between), it is the key fact, and the
HTML timeline marks it and links the missed store to it; under TSO, store buffers and drains.

Runs use each scenario's directed schedule (it reaches the bug deterministically) and are
checked against the model's own account in the violation message, never against step numbers
pinned here: the scheduler may change what a seed does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from actors.memory import TSO
from actors.memory.tso import TSO_BUFFER, TSO_DRAIN
from emulator.debug.explain import Explanation, explain
from emulator.debug.explain_html import render_html
from emulator.debug.explain_memory import STALE_NOTE
from emulator.debug.explain_text import render_text
from emulator.engine.facts import Fact
from emulator.run.artifacts import save
from emulator.run.catalog import builtin
from emulator.run.session import RunSpec, execute
from tests.e2e.browser import chromium, headless, screenshot
from tests.e2e.invoke import pcemu

# (scenario, memory mode) whose BUGGY directed schedule fails through a stale read.
FAILING = (
    ("futex-wake-barrier", "tso"),
    ("futex-wake-barrier", "weak"),
    ("truncate-count-barriers", "weak"),
    ("anon-vma-free-barrier", "weak"),
    ("mapcount-lock-order", "weak"),
)


def need(name: str) -> None:
    if name not in builtin():
        pytest.skip(f"scenario {name} is not in the catalogue yet")


def directed(name: str, mem: str, variant: str = "buggy") -> tuple[RunSpec, Explanation]:
    spec = RunSpec(scenario=name, variant=variant, schedule="directed", mem=mem)
    scen, result = execute(spec, facts=True, sites=True)
    return spec, explain(spec.header(scen), scen, result)


@pytest.mark.parametrize(("name", "mem"), FAILING)
def test_explain_names_the_stale_load_and_the_store_it_missed(name: str, mem: str) -> None:
    need(name)
    _spec, e = directed(name, mem)
    assert e.violation is not None, "the directed schedule no longer fails"
    assert e.stale, "no stale read explained"
    message = e.violation.message
    for r in e.stale:
        # The same load and store as the model's own account of it (the violation message).
        assert r.store is not None
        model_says = (
            f"{r.load.name} read {r.what} = {r.got} at {r.load.label} (step {r.load.n}); "
            f"{r.writer_name}'s store of {r.stored} at step {r.store.n} [{r.store.label}]"
        )
        assert model_says in message
        stale = [n for n in r.load.notes if n.startswith(STALE_NOTE)]
        assert stale and f"{r.what} = {r.got}" in stale[0]
        assert f"{r.missed()} was not yet visible to {r.load.name}" in stale[0]
        assert any(n.startswith("barriers in between: ") for n in r.load.notes)
        assert any(
            n.startswith(f"missed by {r.load.name}'s load of {r.what}") for n in r.store.notes
        )
        # A failure that comes from stale reads has them as its key fact.
        assert r.load in e.keys and r.load.key is not None
        assert f"read {r.what} = {r.got}" in r.load.key and r.missed() in r.load.key
    text = render_text(e)
    first = e.stale[0]
    key = f"  Key fact: {first.load.name} [{first.load.label}] read {first.what} = {first.got}"
    assert key in text
    assert f"! {STALE_NOTE} {first.what} = {first.got}; {first.missed()}" in text
    assert f"mem={mem.upper()}" in text.splitlines()[0]


def test_tso_stale_read_is_a_store_still_in_the_writers_buffer() -> None:
    need("futex-wake-barrier")
    _spec, e = directed("futex-wake-barrier", "tso")
    r = e.stale[0]
    assert r.buffered is not None and r.store is not None
    assert r.buffered.stored is r.store and r.buffered.cpu == r.writer
    # The lost wake-up: the user's store never left CPU1's buffer during the run.
    assert r.buffered.drained is None
    assert "still in CPU1's store buffer" in (r.load.key or "")
    assert any(n.startswith("buffered: ") for n in r.store.notes)
    # Barrier (B) is what is missing: the writer ran no barrier after its store.
    assert "CPU1 after its store: none" in " ".join(r.load.notes)


def test_tso_drains_are_shown_where_they_happen() -> None:
    need("truncate-count-barriers")
    _spec, e = directed("truncate-count-barriers", "tso", "fixed")
    drained = [s for s in e.steps if any(n.startswith("drains ") for n in s.notes)]
    assert drained, "no drain shown in a TSO run whose writer runs smp_mb"
    drains = [a for a in e.arrows if a.kind == "drain"]
    assert drains and all(a.src < a.dst for a in drains)
    assert {a.dst for a in drains} <= {s.n for s in drained}
    for a in drains:
        stored = e.steps[a.src - 1]
        assert any(n.startswith("buffered: ") and f"step {a.dst}" in n for n in stored.notes)


def test_tso_facts_change_nothing_a_run_does() -> None:
    need("futex-wake-barrier")
    for name in ("futex-wake-barrier", "truncate-count-barriers"):
        for seed in range(4):
            spec = RunSpec(scenario=name, seed=seed, mem="tso")
            _s, plain = execute(spec)
            _s, stated = execute(spec, facts=True, sites=True)
            assert plain.outcome.trace_hash == stated.outcome.trace_hash
            assert not plain.has_facts


def test_tso_states_buffer_and_drain_facts() -> None:
    got: list[Fact] = []
    m = TSO()
    m.bind(lambda n, kind: 0, got.append)
    m.store(1, (7, "val"), 1)
    m.store(1, ("lock", 3, "lock"), 0, "release")
    assert [(f.kind, f.oid, f.okind, f.name, f.value, f.other) for f in got] == [
        (TSO_BUFFER, 7, "", "val", 1, 1),
        (TSO_BUFFER, 3, "lock", "lock", 0, 1),
    ]
    got.clear()
    m.fence(1, "mb")
    assert [(f.kind, f.oid, f.value) for f in got] == [(TSO_DRAIN, 7, 1), (TSO_DRAIN, 3, 0)]
    quiet = TSO()
    quiet.bind(lambda n, kind: 0)  # no Control, no sink: nothing is stated
    quiet.store(0, "x", 1)
    assert quiet.fact is None


def test_sc_runs_show_no_weak_memory() -> None:
    need("mapcount-lock-order")
    _spec, e = directed("mapcount-lock-order", "sc")
    assert not e.stale
    assert STALE_NOTE not in render_text(e)
    assert "stale read (a load" not in render_html(e)


# -- the HTML page ------------------------------------------------------------------------------


def weak_page(name: str, mem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    spec = RunSpec(scenario=name, variant="buggy", schedule="directed", mem=mem)
    scen, result = execute(spec)
    trace = tmp_path / f"{name}-{mem}.pctrace"
    save(spec.header(scen), result, None, trace)
    page = tmp_path / f"{name}-{mem}.html"
    code, _out, err = pcemu(capsys, "explain", str(trace), "--format", "html", "-o", str(page))
    assert code == 0, err
    return page


@pytest.mark.parametrize(("name", "mem"), FAILING)
def test_html_marks_the_stale_load_and_links_the_missed_store(
    name: str, mem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(name)
    page = weak_page(name, mem, tmp_path, capsys).read_text()
    _spec, e = directed(name, mem)
    data = json.loads(re.search(r'id="arrow-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    links = {(a["src"], a["dst"]) for a in data if a["kind"] == "stale"}
    for r in e.stale:
        assert r.store is not None
        assert (r.store.n, r.load.n) in links
        box = re.search(rf'<div class="step ([^"]*)" id="step-{r.load.n}"', page)
        assert box is not None and "staleread" in box.group(1).split()
        assert re.search(rf'<div class="step [^"]*missed[^"]*" id="step-{r.store.n}"', page)
    assert page.count('<span class="stalebadge">stale read</span>') == len(
        {r.load.n for r in e.stale}
    )
    assert 'class="legend-stale"' in page and "missed store \u2192 stale load" in page
    assert ("store buffered \u2192 drained (TSO)" in page) == (mem == "tso")
    assert f"memory {mem.upper()}" in page


def test_html_stale_link_renders_in_headless_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need("futex-wake-barrier")
    exe = chromium()
    if exe is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    page = weak_page("futex-wake-barrier", "tso", tmp_path, capsys)
    done = headless(exe, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    drawn = re.findall(r'<path class="arrow stale"[^>]*data-from="(\d+)" data-to="(\d+)"', dom)
    _spec, e = directed("futex-wake-barrier", "tso")
    r = e.stale[0]
    assert r.store is not None and (str(r.store.n), str(r.load.n)) in drawn
    body = dict(re.findall(r'data-([a-z-]+)="(\d+)"', re.search(r"<body[^>]*>", dom).group(0)))  # type: ignore[union-attr]
    assert body["spilled"] == "0"
    assert int(body["page-width"]) <= int(body["window-width"])
    screenshot(exe, tmp_path, page, "timeline-futex-wake-barrier-tso.png")


SB = """C SB
{}
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
"""


def test_litmus_tso_witness_shows_both_stores_buffered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "sb.litmus"
    f.write_text(SB)
    code, out, _ = pcemu(capsys, "litmus", str(f), "--model", "tso")
    assert code == 0 and "Sometimes" in out, out
    where = tmp_path / "pcemu-runs" / "litmus"
    code, out, _ = pcemu(
        capsys, "explain", str(where / "sb.tso.pctrace"), "--script", str(where / "sb.litmus.py")
    )
    assert code == 0, out
    assert "mem=TSO" in out.splitlines()[0]
    assert "! buffered: x = 1 in P0's store buffer, still buffered when the run ended" in out
    assert "! buffered: y = 1 in P1's store buffer, still buffered when the run ended" in out
