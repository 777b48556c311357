"""``pcemu explain --format html``: the interleaving as a self-contained timeline page.

A CSS grid: one column (lane) per actor, one row per step, each step a box in its actor's lane
with its full text (wrapped, never cut), the source line, the locks it took or released, notes
on reuse and stale uses, and the key fact. Beside each lane, bars show the locks and RCU
read-side sections its actor holds, from the step that took them to the one that released them.
Under TSO and WEAK, a load that returned a stale value is marked (a "stale read" badge) and
a dashed arrow runs from the store it missed to it; under TSO a dotted arrow runs from the step
that put a store in its CPU's store buffer to the step that drained it.
The violation is marked for every oracle: the failing step's box is red, and for a deadlock
the steps parked in the wait-for cycle are too, with the cycle drawn as red arrows. A window of
steps repeated in a row (a livelock's loop) is shown once, then folded into one row.

The grid follows the window's width (lanes of actors with few steps, idle daemons, are
narrower). Arrows (wake-ups, slab reuse, waits-for) are drawn by a few lines of inline script
once the boxes are laid out, and again on resize; the script also records on the page what it
laid out (the headless-browser test reads it). No network resource, no external font: the
stylesheet and the script are inlined from ``explain_html_assets``.
"""

from __future__ import annotations

import json
from html import escape

from emulator.debug import explain_analysis as an
from emulator.debug.explain import FIRES, PARKS, Explanation, Step, outcome_line
from emulator.debug.explain_html_assets import ARROW_COLORS, CSS, SCRIPT
from emulator.debug.explain_text import plural, render_text

RCU_KEY = "rcu_read_lock"
IDLE_SHARE = 0.1  # a lane with fewer than this share of the shown steps is drawn narrow


def _cycle(e: Explanation) -> tuple[list[dict[str, object]], set[int]]:
    """The wait-for edges among the actors parked at the end of the run: from each parked
    step to the step that took what it waits for, when the owner holds it still. With a
    deadlock these edges form the cycle; the parked steps are returned to be marked."""
    last: dict[int, Step] = {}
    for s in e.steps:
        last[s.actor] = s
    parked = {a: s for a, s in last.items() if s.status == PARKS and s.waits}
    edges: list[dict[str, object]] = []
    marked: set[int] = set()
    for a, s in sorted(parked.items()):
        key = (s.waits or "").split(" (held by")[0]
        taker = next(
            (t for t in reversed(e.steps[: s.n - 1]) if t.actor != a and key in t.took), None
        )
        if taker is None or key not in last[taker.actor].held:
            continue
        edges.append(
            {
                "kind": "cycle",
                "src": s.n,
                "dst": taker.n,
                "text": f"{s.name} waits for {key}, held by {taker.name} since step {taker.n}",
            }
        )
        marked.add(s.n)
    deadlock = e.violation is not None and any(
        e.violation.step == s.n or e.violation.actor == s.name for s in parked.values()
    )
    return (edges, marked) if deadlock else ([], set())


def _step_box(s: Step, e: Explanation, cycle: set[int]) -> str:
    classes = ["step"]
    fired = s.status == FIRES or (e.violation is not None and e.violation.step == s.n)
    stale_load = any(r.load is s for r in e.stale)
    missed = any(r.store is s for r in e.stale)
    if s.status == PARKS:
        classes.append("parks")
    if any(n.startswith("stale:") for n in s.notes):
        classes.append("stale")
    if stale_load:
        classes.append("staleread")
    if missed:
        classes.append("missed")
    if s.key is not None:
        classes.append("key")
    if s.n in cycle:
        classes.append("cycle")
    if fired:
        classes.append("violation")
    parts = []
    if stale_load:
        parts.append('<span class="stalebadge">stale read</span>')
    if missed:
        parts.append('<span class="missedbadge">missed store</span>')
    parts.append(f'<span class="lbl">[{escape(s.label)}]</span> {escape(s.text)}')
    if s.status == PARKS:
        what = f" waiting for {s.waits}" if s.waits else ""
        parts.append(f' <span class="wait">parks{escape(what)}</span>')
    if s.takes:
        parts.append(f' <span class="take">+{escape(s.takes)}</span>')
    if s.releases:
        parts.append(f' <span class="release">-{escape(s.releases)}</span>')
    if fired and e.violation is not None:
        parts.append(f' <span class="fires">{escape(e.violation.oracle)} fires here</span>')
    if s.source is not None:
        parts.append(f'<span class="src">{escape(s.source.where)}  {escape(s.source.text)}</span>')
    parts.extend(f'<span class="note">! {escape(n)}</span>' for n in s.notes)
    if s.key is not None:
        parts.append(f'<span class="keytext">key fact: {escape(s.key)}</span>')
    title = f"step {s.n} {s.name} [{s.label}]"
    return (
        f'<div class="{" ".join(classes)}" id="step-{s.n}" data-step="{s.n}" '
        f'title="{escape(title)}">{"".join(parts)}</div>'
    )


class _Bars:
    """Per lane, the locks its actor holds, each in a fixed slot while held."""

    def __init__(self, lanes: int) -> None:
        self.slots: list[list[str | None]] = [[] for _ in range(lanes)]

    def show(self, lane: int, held: tuple[str, ...], ending: tuple[str, ...] = ()) -> str:
        slots = self.slots[lane]
        live = set(held) | set(ending)
        for i, k in enumerate(slots):
            if k is not None and k not in live:
                slots[i] = None
        for k in [*held, *ending]:
            if k not in slots:
                free = next((i for i, x in enumerate(slots) if x is None), None)
                if free is None:
                    slots.append(k)
                else:
                    slots[free] = k
        bars = []
        for k in slots:
            if k is None:
                bars.append('<div class="bar free"></div>')
            else:
                cls = "rcu" if k == RCU_KEY else "lock"
                what = "RCU read-side section" if k == RCU_KEY else f"holds {k}"
                bars.append(f'<div class="bar {cls}" title="{escape(what)}"></div>')
        out = f'<div class="bars">{"".join(bars)}</div>'
        for k in ending:
            if k not in held and k in slots:
                slots[slots.index(k)] = None
        return out


def _grid(e: Explanation, cycle: set[int]) -> str:
    n_lanes = len(e.actors)
    hidden: dict[int, an.Fold] = {}
    for f in e.folds:
        for n in f.hidden():
            hidden[n] = f
    shown = [s for s in e.steps if s.n not in hidden]
    counts = [sum(1 for s in shown if s.actor == a) for a in range(n_lanes)]
    cols = ["3.5em"]
    for c in counts:
        idle = c < max(3, IDLE_SHARE * len(shown))
        cols.append("minmax(7em, 0.35fr)" if idle else "minmax(12em, 1fr)")
    out = [f'<div id="timeline" style="grid-template-columns: {" ".join(cols)}">']
    out.append('<div class="num"></div>')
    for lane, name in enumerate(e.actors):
        width = "idle" if cols[lane + 1].endswith("0.35fr)") else "busy"
        out.append(
            f'<div class="lanehead" data-actor="{escape(name)}" data-lane="{lane}" '
            f'data-width="{width}">{escape(name)}</div>'
        )
    bars = _Bars(n_lanes)
    held: list[tuple[str, ...]] = [() for _ in range(n_lanes)]
    row = 2
    for s in e.steps:
        f = hidden.get(s.n)
        if f is not None:
            if s.n == f.first + f.period:
                gone = f.hidden()
                out.append(
                    f'<div class="fold" style="grid-row:{row}" data-folded="{len(gone)}">'
                    f"\u00d7{f.times} iterations of {escape(an.loop_labels(e.steps, f))} "
                    f"(steps {f.first}\u2013{f.last}): {plural(len(gone), 'step')} folded, "
                    "the first and the last iteration shown</div>"
                )
                row += 1
            continue
        out.append(f'<div class="num" style="grid-row:{row}">{s.n}</div>')
        for lane in range(n_lanes):
            if lane == s.actor:
                strip = bars.show(lane, s.held, s.released)
                held[lane] = s.held
                box = _step_box(s, e, cycle)
            else:
                strip = bars.show(lane, held[lane])
                box = ""
            where = f"grid-row:{row};grid-column:{lane + 2}"
            out.append(f'<div class="cell" style="{where}">{strip}{box}</div>')
        row += 1
    out.append("</div>")
    return "\n".join(out)


def _memory_legend(e: Explanation) -> str:
    """Legend entries for weak memory, on pages of runs in TSO or WEAK."""
    if e.mem == "SC" and not e.stale:
        return ""
    out = (
        '<span class="legend-stale"><i style="border:2px dashed #c2185b;background:#fdf0f5">'
        "</i>stale read (a load that missed a store)</span>"
        '<span><i style="border-top:2px dashed #c2185b;height:0"></i>'
        "missed store \u2192 stale load</span>"
    )
    if e.mem == "TSO":
        out += (
            '<span><i style="border-top:2px dotted #16a085;height:0"></i>'
            "store buffered \u2192 drained (TSO)</span>"
        )
    return out


def render_html(e: Explanation) -> str:
    sc = e.scenario
    h = e.header
    title = f"pcemu explain: {h.get('scenario')} ({h.get('spec_id', '?')}) {h.get('variant')}"
    failed = e.violation is not None or e.status != "clean"
    oracle_cls = "" if failed else ' class="clean"'
    cycle_edges, cycle = _cycle(e)
    arrows: list[dict[str, object]] = [
        {"kind": a.kind, "src": a.src, "dst": a.dst, "text": a.text} for a in e.arrows
    ]
    arrows.extend(cycle_edges)
    data = json.dumps(arrows).replace("</", "<\\/")
    markers = "".join(
        f'<marker id="head-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for k, c in ARROW_COLORS
    )
    keys = "".join(
        f'<div class="keyfact">key fact: {escape(k.name)} {escape(k.key or "")}</div>'
        for k in e.keys
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            f"<script>{SCRIPT}</script>",
            "</head><body>",
            f"<h1>{escape(sc.title)}</h1>",
            f'<p class="meta">{escape(title)}; seed {escape(str(h.get("seed")))}, '
            f"strategy {escape(str(h.get('strategy')))}, "
            f"schedule {escape(str(h.get('schedule', 'seeded')))}"
            + (f", memory {escape(e.mem)}" if e.mem != "SC" else "")
            + "</p>",
            f'<p class="meta">thread: {escape(sc.thread)}</p>',
            f'<p class="meta">commits: {escape(sc.commits)}</p>',
            f'<p class="meta">{plural(len(e.steps), "step")}, '
            f"{plural(e.switches, 'switch', 'switches')}, {plural(len(e.actors), 'actor')}; "
            f"trace {escape(e.trace_hash)}</p>",
            f'<div id="oracle"{oracle_cls}>{escape(outcome_line(e))}</div>',
            keys,
            '<p class="legend">'
            '<span><i style="background:#2471a3;height:2px"></i>wake-up</span>'
            '<span><i style="background:#d35400;height:2px"></i>slab reuse (new generation)</span>'
            '<span><i style="border:2px dashed #c0392b;height:10px"></i>wait-for cycle '
            "(deadlock)</span>"
            '<span><i style="border:2px solid #c0392b;background:#fdecea"></i>'
            "the oracle fires</span>"
            '<span><i style="border:2px solid #d35400"></i>key fact</span>'
            f"{_memory_legend(e)}"
            '<span><i style="border:1px dashed #7f8c8d"></i>the step parks</span>'
            '<span><i style="background:#8e44ad;width:5px"></i>lock held</span>'
            '<span><i style="background:#27ae60;width:5px"></i>RCU read-side section</span>'
            "</p>",
            '<div id="wrap">',
            _grid(e, cycle),
            f'<svg id="arrows" role="img" aria-label="arrows"><defs>{markers}</defs></svg>',
            "</div>",
            f'<script type="application/json" id="arrow-data">{data}</script>',
            "<details><summary>as text</summary><pre>",
            escape(render_text(e)),
            "</pre></details>",
            "</body></html>",
            "",
        ]
    )
