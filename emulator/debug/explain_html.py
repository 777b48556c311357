"""``pcemu explain --format html``: the interleaving as a self-contained timeline page.

One lane (column) per actor, one row per step, each step a box in its actor's lane; arrows for
wake-ups (from the step that released what a parked actor waited for, to its resumed step) and
for slab reuse (from the last step of an object's old generation to the first of its new one).
Everything is inline: CSS, one SVG whose geometry is computed here, and a few lines of script
that only record, on the page, that the lanes were laid out (the headless-browser test reads
it). No network resource, no external font.
"""

from __future__ import annotations

from html import escape

from emulator.debug.explain import FIRES, PARKS, Arrow, Explanation, Step, outcome_line
from emulator.debug.explain_text import render_text

LANE_W = 340
ROW_H = 26
GUTTER = 44
TOP = 40
BOX_CHARS = 46  # characters of a step's text shown in its box; the tooltip has all of it

CSS = """
body { font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; margin: 16px; color: #222; }
h1 { font-size: 16px; margin: 0 0 4px 0; }
.meta { color: #555; margin: 0 0 2px 0; }
#oracle { margin: 10px 0; padding: 8px 10px; border-left: 4px solid #c0392b;
  background: #fdecea; white-space: pre-wrap; }
#oracle.clean { border-color: #27ae60; background: #eafaf1; }
svg { display: block; margin: 8px 0; }
.lane rect.bg { fill: #f7f7f9; stroke: #ddd; }
.lane text.head { font-weight: bold; font-size: 13px; }
.step rect { fill: #fff; stroke: #7f8c8d; }
.step.parks rect { fill: #f4f6f7; stroke-dasharray: 4 3; }
.step.violation rect { fill: #fdecea; stroke: #c0392b; stroke-width: 2; }
.step.stale rect { stroke: #d35400; }
.step text { font-size: 11px; }
.num { font-size: 11px; fill: #888; }
.arrow { fill: none; stroke-width: 1.6; }
.arrow.wake { stroke: #2471a3; }
.arrow.reuse { stroke: #d35400; }
.legend span { margin-right: 18px; }
pre { background: #fafafa; border: 1px solid #eee; padding: 8px; overflow-x: auto; }
"""

SCRIPT = """
document.addEventListener("DOMContentLoaded", function () {
  var lanes = document.querySelectorAll("svg g.lane");
  var laid = 0;
  lanes.forEach(function (g) { if (g.getBoundingClientRect().width > 0) { laid += 1; } });
  document.body.setAttribute("data-lanes-rendered", String(laid));
});
"""


def _x(lane: int) -> int:
    return GUTTER + lane * LANE_W


def _y(step: int) -> int:
    return TOP + (step - 1) * ROW_H


def _short(text: str) -> str:
    return text if len(text) <= BOX_CHARS else text[: BOX_CHARS - 1] + "\u2026"


def _tooltip(s: Step) -> str:
    lines = [f"step {s.n} {s.name} [{s.label}] {s.text}"]
    if s.source is not None:
        lines.append(f"{s.source.where}  {s.source.text}")
    if s.takes:
        lines.append(f"takes {s.takes}")
    if s.releases:
        lines.append(f"releases {s.releases}")
    if s.waits:
        lines.append(f"waits for {s.waits}")
    if s.held:
        lines.append("holds " + ", ".join(s.held))
    lines.extend(s.notes)
    return "\n".join(lines)


def _box(s: Step) -> str:
    x, y = _x(s.actor) + 6, _y(s.n) + 3
    classes = ["step"]
    if s.status == PARKS:
        classes.append("parks")
    if s.status == FIRES:
        classes.append("violation")
    if any(n.startswith("stale:") for n in s.notes):
        classes.append("stale")
    mark = " (parks)" if s.status == PARKS else " (fires)" if s.status == FIRES else ""
    text = _short(f"[{s.label}] {s.text}") + mark
    return (
        f'<g class="{" ".join(classes)}" id="step-{s.n}" data-step="{s.n}">'
        f"<title>{escape(_tooltip(s))}</title>"
        f'<rect x="{x}" y="{y}" width="{LANE_W - 12}" height="{ROW_H - 6}" rx="3"/>'
        f'<text x="{x + 6}" y="{y + ROW_H - 12}">{escape(text)}</text></g>'
    )


def _arrow(a: Arrow, e: Explanation) -> str:
    src, dst = e.steps[a.src - 1], e.steps[a.dst - 1]
    y1, y2 = _y(src.n) + ROW_H // 2, _y(dst.n) + ROW_H // 2
    if src.actor == dst.actor:
        x1 = x2 = _x(src.actor) + LANE_W - 6
        bend = x1 + 24
        d = f"M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}"
    else:
        right = dst.actor > src.actor
        x1 = _x(src.actor) + (LANE_W - 6 if right else 6)
        x2 = _x(dst.actor) + (6 if right else LANE_W - 6)
        mid = (x1 + x2) // 2
        d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
    classes = f"arrow {a.kind}"
    return (
        f'<path class="{classes}" d="{d}" marker-end="url(#head-{a.kind})" '
        f'data-from="{a.src}" data-to="{a.dst}"><title>{escape(a.text)}</title></path>'
    )


def _svg(e: Explanation) -> str:
    height = _y(len(e.steps) + 1) + 10
    width = _x(len(e.actors)) + 30
    parts = [
        f'<svg id="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="interleaving timeline">',
        "<defs>",
    ]
    for kind, color in (("wake", "#2471a3"), ("reuse", "#d35400")):
        parts.append(
            f'<marker id="head-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/>'
            "</marker>"
        )
    parts.append("</defs>")
    for lane, name in enumerate(e.actors):
        x = _x(lane)
        boxes = "".join(_box(s) for s in e.steps if s.actor == lane)
        parts.append(
            f'<g class="lane" data-actor="{escape(name)}">'
            f'<rect class="bg" x="{x + 2}" y="{TOP - 30}" width="{LANE_W - 4}" '
            f'height="{height - TOP + 20}"/>'
            f'<text class="head" x="{x + 10}" y="{TOP - 12}">{escape(name)}</text>{boxes}</g>'
        )
    for s in e.steps:
        parts.append(f'<text class="num" x="4" y="{_y(s.n) + ROW_H - 9}">{s.n}</text>')
    parts.extend(_arrow(a, e) for a in e.arrows)
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(e: Explanation) -> str:
    sc = e.scenario
    h = e.header
    title = f"pcemu explain: {h.get('scenario')} ({h.get('spec_id', '?')}) {h.get('variant')}"
    oracle_cls = "" if e.violation is not None or e.status != "clean" else ' class="clean"'
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            f"<script>{SCRIPT}</script>",
            "</head><body>",
            f"<h1>{escape(sc.title)}</h1>",
            f'<p class="meta">{escape(title)}; seed {escape(str(h.get("seed")))}, '
            f"strategy {escape(str(h.get('strategy')))}, "
            f"schedule {escape(str(h.get('schedule', 'seeded')))}</p>",
            f'<p class="meta">thread: {escape(sc.thread)}</p>',
            f'<p class="meta">commits: {escape(sc.commits)}</p>',
            f'<p class="meta">{len(e.steps)} steps, {e.switches} switches, '
            f"{len(e.actors)} actors; trace {escape(e.trace_hash)}</p>",
            f'<div id="oracle"{oracle_cls}>{escape(outcome_line(e))}</div>',
            '<p class="legend"><span>\u2192 blue: wake-up</span>'
            "<span>\u2192 orange: slab reuse (new generation)</span>"
            "<span>dashed box: the step parks</span><span>red box: the oracle fires</span></p>",
            _svg(e),
            "<details><summary>as text</summary><pre>",
            escape(render_text(e)),
            "</pre></details>",
            "</body></html>",
            "",
        ]
    )
