"""What every timeline page of ``explain --format html`` inlines, whatever the run: the
stylesheet, the script that draws the arrows once the boxes are laid out (and records on the
page what it laid out, for the headless-browser test), and the arrow colours by kind."""

CSS = """
* { box-sizing: border-box; }
body { font: 13px/1.35 ui-monospace, Menlo, Consolas, monospace; margin: 16px; color: #222; }
h1 { font-size: 16px; margin: 0 0 4px 0; }
.meta { color: #555; margin: 0 0 2px 0; overflow-wrap: anywhere; }
#oracle { margin: 10px 0; padding: 8px 10px; border-left: 4px solid #c0392b;
  background: #fdecea; white-space: pre-wrap; overflow-wrap: anywhere; font-weight: bold; }
#oracle.clean { border-color: #27ae60; background: #eafaf1; font-weight: normal; }
.keyfact { margin: 6px 0; padding: 6px 10px; border-left: 4px solid #d35400;
  background: #fef5e7; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0; color: #444; }
.legend i { display: inline-block; width: 22px; height: 10px; margin-right: 5px;
  vertical-align: middle; }
#wrap { position: relative; }
#timeline { display: grid; column-gap: 6px; row-gap: 2px; width: 100%; }
#arrows { position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible; }
.lanehead { font-weight: bold; padding: 4px 6px; background: #ecf0f1; border-radius: 3px;
  position: sticky; top: 0; z-index: 2; overflow-wrap: anywhere; }
.num { color: #888; font-size: 11px; text-align: right; padding: 4px 4px 0 0; }
.cell { display: flex; min-width: 0; background: #f7f7f9; }
.bars { display: flex; flex: none; gap: 1px; padding: 0 2px; }
.bar { width: 5px; }
.bar.lock { background: #8e44ad; }
.bar.rcu { background: #27ae60; }
.bar.free { background: transparent; }
.step { flex: 1; min-width: 0; margin: 1px 2px; padding: 3px 5px; background: #fff;
  border: 1px solid #7f8c8d; border-radius: 3px; font-size: 11.5px;
  overflow-wrap: anywhere; white-space: pre-wrap; overflow: hidden; }
.step.parks { background: #f4f6f7; border-style: dashed; }
.step.stale { border-color: #d35400; }
.step.key { border: 2px solid #d35400; }
.step.staleread { border: 2px dashed #c2185b; background: #fdf0f5; }
.step.missed { border-color: #c2185b; }
.step .stalebadge { color: #fff; background: #c2185b; border-radius: 3px; padding: 0 4px;
  margin-right: 4px; font-weight: bold; }
.step .missedbadge { color: #c2185b; font-weight: bold; margin-right: 4px; }
.step.cycle { border: 2px dashed #c0392b; background: #fdecea; }
.step.violation { border: 2px solid #c0392b; background: #fdecea; }
.step .lbl { font-weight: bold; }
.step .src { color: #7f8c8d; display: block; }
.step .take { color: #1e8449; }
.step .release { color: #b9770e; }
.step .wait { color: #8e44ad; }
.step .note { color: #a04000; display: block; }
.step .keytext { color: #c0392b; font-weight: bold; display: block; }
.step .fires { color: #c0392b; font-weight: bold; }
.fold { grid-column: 1 / -1; padding: 6px 10px; background: #fef9e7;
  border: 1px dashed #b7950b; color: #7d6608; text-align: center; }
.arrow { fill: none; stroke-width: 1.6; }
.arrow.wake { stroke: #2471a3; }
.arrow.reuse { stroke: #d35400; }
.arrow.cycle { stroke: #c0392b; stroke-width: 2.2; stroke-dasharray: 6 3; }
.arrow.stale { stroke: #c2185b; stroke-width: 2; stroke-dasharray: 5 3; }
.arrow.drain { stroke: #16a085; stroke-dasharray: 2 3; }
pre { background: #fafafa; border: 1px solid #eee; padding: 8px; overflow-x: auto; }
"""

SCRIPT = """
function pcemuDraw() {
  var wrap = document.getElementById("wrap");
  var svg = document.getElementById("arrows");
  var data = JSON.parse(document.getElementById("arrow-data").textContent);
  var box = wrap.getBoundingClientRect();
  svg.setAttribute("width", box.width);
  svg.setAttribute("height", box.height);
  var keep = svg.querySelector("defs").outerHTML;
  svg.innerHTML = keep;
  var drawn = 0;
  data.forEach(function (a) {
    var s = document.getElementById("step-" + a.src), d = document.getElementById("step-" + a.dst);
    if (!s || !d) { return; }
    var r1 = s.getBoundingClientRect(), r2 = d.getBoundingClientRect();
    var y1 = r1.top + Math.min(r1.height / 2, 14) - box.top;
    var y2 = r2.top + Math.min(r2.height / 2, 14) - box.top;
    var x1, x2, p;
    if (Math.abs(r1.left - r2.left) < 2) {
      x1 = r1.right - box.left; x2 = r2.right - box.left;
      var bend = Math.max(x1, x2) + 26;
      p = "M" + x1 + "," + y1 + " C" + bend + "," + y1 + " " + bend + "," + y2 +
        " " + x2 + "," + y2;
    } else {
      var right = r2.left > r1.left;
      x1 = (right ? r1.right : r1.left) - box.left;
      x2 = (right ? r2.left : r2.right) - box.left;
      var dir = right ? 1 : -1;
      var c1 = x1 + dir * 40, c2 = x2 - dir * 40;
      p = "M" + x1 + "," + y1 + " C" + c1 + "," + y1 + " " + c2 + "," + y2 + " " + x2 + "," + y2;
    }
    var path = document.createElementNS(svg.namespaceURI, "path");
    path.setAttribute("class", "arrow " + a.kind);
    path.setAttribute("d", p);
    path.setAttribute("marker-end", "url(#head-" + a.kind + ")");
    path.setAttribute("data-from", a.src);
    path.setAttribute("data-to", a.dst);
    var t = document.createElementNS(svg.namespaceURI, "title");
    t.textContent = a.text;
    path.appendChild(t);
    svg.appendChild(path);
    drawn += 1;
  });
  var lanes = 0;
  document.querySelectorAll(".lanehead").forEach(function (h) {
    if (h.getBoundingClientRect().width > 0) { lanes += 1; }
  });
  var spill = 0;
  document.querySelectorAll(".step, #oracle, .keyfact").forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) { spill += 1; }
  });
  var b = document.body;
  b.setAttribute("data-lanes-rendered", String(lanes));
  b.setAttribute("data-arrows-drawn", String(drawn));
  b.setAttribute("data-spilled", String(spill));
  b.setAttribute("data-page-width", String(document.documentElement.scrollWidth));
  b.setAttribute("data-window-width", String(window.innerWidth));
}
document.addEventListener("DOMContentLoaded", pcemuDraw);
window.addEventListener("resize", pcemuDraw);
"""

ARROW_COLORS = (
    ("wake", "#2471a3"),
    ("reuse", "#d35400"),
    ("cycle", "#c0392b"),
    ("stale", "#c2185b"),
    ("drain", "#16a085"),
)
