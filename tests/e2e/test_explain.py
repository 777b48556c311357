"""pcemu explain: the text pinned in golden files for the directed interleavings of
anon-vma-reuse and fuse-write-deadlock; source lines, generations, locks and wake-ups; and the
HTML timeline checked in headless Chromium (Debian package ``chromium``).

Regenerate the golden files after an intended change of a scenario or of the wording with
``PCEMU_UPDATE_GOLDEN=1 pytest tests/e2e/test_explain.py`` and review the diff."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from emulator.debug.explain import explain
from emulator.debug.explain_text import render_text
from emulator.debug.replay import replay_file
from emulator.run.artifacts import save
from emulator.run.catalog import builtin
from emulator.run.session import RunSpec, execute
from tests.e2e.browser import chromium, headless, screenshot
from tests.e2e.invoke import pcemu

GOLDEN = Path(__file__).parent / "golden"
PINNED = ("anon-vma-reuse", "fuse-write-deadlock")


# The timeline of a deadlock is shown on the two-file ABBA form: a cycle of two writers (the
# default BUGGY variant is the historical one-writer self-deadlock).
TIMELINE_VARIANT = {"fuse-write-deadlock": "buggy-abba"}


def directed_trace(name: str, tmp_path: Path, variant: str = "buggy") -> Path:
    spec = RunSpec(scenario=name, variant=variant, schedule="directed")
    scen, result = execute(spec)
    trace = tmp_path / f"{name}-{variant}.pctrace"
    save(spec.header(scen), result, None, trace)
    return trace


def need(name: str) -> None:
    if name not in builtin():
        pytest.skip(f"scenario {name} is not in the catalogue yet")


@pytest.mark.parametrize("name", PINNED)
def test_explain_text_is_pinned(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(name)
    trace = directed_trace(name, tmp_path)
    code, out, err = pcemu(capsys, "explain", str(trace))
    assert code == 0, err
    golden = GOLDEN / f"explain-{name}.txt"
    if os.environ.get("PCEMU_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert golden.is_file(), f"no golden file {golden}: run with PCEMU_UPDATE_GOLDEN=1"
    assert out == golden.read_text(), (
        f"explain output of {name} changed; if intended, regenerate with "
        "PCEMU_UPDATE_GOLDEN=1 and review the diff"
    )


def test_explain_names_generations_reuse_locks_and_source(tmp_path: Path) -> None:
    v = replay_file(directed_trace("anon-vma-reuse", tmp_path))
    scen = builtin()["anon-vma-reuse"]
    e = explain(v.spec.header(scen), scen, v.result)
    by_label = {s.label: s for s in e.steps}
    # The source line of a label, in the shared code path module, BUGGY form.
    a5 = by_label["A5b"].source
    assert a5 is not None and a5.where.startswith("scenarios/anon_vma/anon_vma_lock.py:")
    assert 'mutex_trylock("A5b", root)' in a5.text
    # Generations: the walker's anon_vma is reused under it.
    f1 = by_label["F1"]
    assert ("anon_vma", 2, 2) in f1.objects
    assert any(n.startswith("reuses anon_vma#2: gen 1 -> gen 2") for n in f1.notes)
    assert any(a.kind == "reuse" and a.dst == f1.n for a in e.arrows)
    assert any(n.startswith("stale: anon_vma#2 gen 1 is gen 2") for n in by_label["A7"].notes)
    # Locks, derived from the lock and unlock steps: the trylock took the recycled lock.
    assert by_label["R1"].takes == "page#4"
    assert by_label["A5b"].takes == "anon_vma#2.lock"
    assert by_label["A7"].held == ("page#4", "rcu_read_lock", "anon_vma#2.lock")
    text = render_text(e)
    assert "  anon_vma#2 gen 2: steps 21-30, first seen at CPU2 [F1]\n" in text
    assert "=> INV-LOCK-1 at step 31, CPU0 [W2]: unlock of anon_vma#6.lock not held" in text


def test_wake_ups_come_from_the_step_that_woke(tmp_path: Path) -> None:
    need("fuse-write-deadlock")
    v = replay_file(directed_trace("fuse-write-deadlock", tmp_path, "fixed"))
    scen = builtin()["fuse-write-deadlock"]
    e = explain(v.spec.header(scen), scen, v.result)
    wakes = [a for a in e.arrows if a.kind == "wake"]
    assert wakes
    for a in wakes:
        src, dst = e.steps[a.src - 1], e.steps[a.dst - 1]
        assert src.actor != dst.actor and a.src < a.dst
        parked = [s for s in e.steps[: a.src] if s.actor == dst.actor]
        assert parked and parked[-1].status == "parks"  # it was parked until woken


def test_explain_of_a_user_script_shows_the_script_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = Path(builtin()["anon-vma-reuse"].build.__code__.co_filename)
    script = tmp_path / "mine.py"
    shutil.copy(src, script)
    trace = directed_trace(str(script), tmp_path)
    code, out, _ = pcemu(capsys, "explain", str(trace), "--script", str(script))
    assert code == 0
    line = next(x for x in out.splitlines() if 'trylock_page("R1"' in x)
    assert line.strip().startswith(f"{script}:")


def test_explain_refuses_a_trace_that_no_longer_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = Path(builtin()["anon-vma-reuse"].build.__code__.co_filename)
    script = tmp_path / "mine.py"
    shutil.copy(src, script)
    trace = directed_trace(str(script), tmp_path)
    script.write_text(script.read_text().replace('"R1"', '"R1x"'))
    # The edited script no longer matches the recorded sha256: --force replays it anyway.
    code, out, err = pcemu(capsys, "explain", str(trace), "--script", str(script), "--force")
    assert code == 1 and out == ""
    assert err.startswith(f"explain: {trace} does not replay on this pcemu:\n  diverged: choice ")


# -- the HTML page ------------------------------------------------------------------------------


def html_page(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    trace = directed_trace(name, tmp_path, TIMELINE_VARIANT.get(name, "buggy"))
    page = tmp_path / f"{name}.html"
    code, out, err = pcemu(capsys, "explain", str(trace), "--format", "html", "--out", str(page))
    assert code == 0, err
    assert out == f"wrote {page}\n"
    return page


@pytest.mark.parametrize("name", PINNED)
def test_html_is_self_contained_with_one_lane_per_actor(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(name)
    page = html_page(name, tmp_path, capsys).read_text()
    assert page.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)\s*=|@import|https?://|url\((?!#)""", page)
    v = replay_file(directed_trace(name, tmp_path, TIMELINE_VARIANT.get(name, "buggy")))
    lanes = re.findall(r'<div class="lanehead" data-actor="([^"]+)"', page)
    assert lanes == v.result.actor_names
    vio = v.result.outcome.violation
    assert vio is not None
    assert html.escape(vio.message) in page


def test_html_marks_the_deadlock_cycle_and_folds_a_livelock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need("fuse-write-deadlock")
    page = html_page("fuse-write-deadlock", tmp_path, capsys).read_text()
    data = json.loads(re.search(r'id="arrow-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    cycle = [a for a in data if a["kind"] == "cycle"]
    assert len(cycle) == 2  # T1 waits for T2's page, T2 for T1's
    marked = re.findall(r'<div class="step parks cycle(?: violation)?" id="step-(\d+)"', page)
    assert sorted(int(n) for n in marked) == sorted(a["src"] for a in cycle)
    vio = replay_file(directed_trace("fuse-write-deadlock", tmp_path, "buggy-abba")).result
    assert vio.outcome.violation is not None
    step = vio.outcome.violation.step
    assert f'class="step parks cycle violation" id="step-{step}"' in page
    assert "\u2026" not in page  # full values, never cut
    need("futex-zero-page-livelock")
    page = html_page("futex-zero-page-livelock", tmp_path, capsys).read_text()
    fold = re.search(r'<div class="fold"[^>]*data-folded="(\d+)">\u00d7(\d+) iterations of', page)
    assert fold is not None and int(fold.group(2)) >= 64 and int(fold.group(1)) >= 4 * 64
    assert "INV-LIVE-1 fires here" in page


@pytest.mark.parametrize("name", PINNED)
def test_html_renders_in_headless_chromium(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(name)
    exe = chromium()
    if exe is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    page = html_page(name, tmp_path, capsys)
    v = replay_file(directed_trace(name, tmp_path, TIMELINE_VARIANT.get(name, "buggy")))
    done = headless(exe, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # The page's own script ran: every lane laid out, every arrow drawn, no box whose text
    # spills, and a page no wider than the window (the grid follows the window).
    n = len(v.result.actor_names)
    assert f'data-lanes-rendered="{n}"' in dom, dom[:500]
    body = dict(re.findall(r'data-([a-z-]+)="(\d+)"', re.search(r"<body[^>]*>", dom).group(0)))  # type: ignore[union-attr]
    assert body["spilled"] == "0"
    assert int(body["page-width"]) <= int(body["window-width"])
    drawn = len(re.findall(r'<path class="arrow ', dom))
    assert drawn == int(body["arrows-drawn"]) > 0
    assert re.findall(r'<div class="lanehead" data-actor="([^"]+)"', dom) == v.result.actor_names
    vio = v.result.outcome.violation
    assert vio is not None
    assert re.search(rf'class="step [^"]*violation" id="step-{vio.step}"', dom)
    oracle = re.search(r'<div id="oracle"[^>]*>(.*?)</div>', dom, re.S)
    assert oracle is not None
    shown = html.unescape(oracle.group(1))
    assert shown == f"{vio.oracle} at step {vio.step}, {vio.actor} [{vio.label}]: {vio.message}"
    screenshot(exe, tmp_path, page, f"timeline-{name}.png")
