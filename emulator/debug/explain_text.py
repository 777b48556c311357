"""The one text rendering of a run, for ``pcemu explain``, ``run``, ``hunt`` and ``replay``.

The numbered blocks of the interleaving, each step with its source line, the locks it took
(``+``), released (``-``) or waits for, RCU sections, and notes on reuse and stale uses; the
key fact of the race called out; then the outcome, the locks held, the model's account of the
objects the race touched (``verbose``: all of them) and the objects' generations.

Lines are built as ``rich`` text: on a terminal they are coloured (the violation and the key
fact stand out), and ``plain`` gives the same characters without colour (files, pipes,
``NO_COLOR``, golden files).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.text import Text

from emulator.debug import explain_analysis as an
from emulator.debug.explain import FIRES, PARKS, Explanation, Step, outcome_line, run_line

S_BLOCK = "bold"
S_SOURCE = "dim"
S_TAKE = "green"
S_RELEASE = "yellow"
S_WAIT = "magenta"
S_NOTE = "dark_orange"
S_KEY = "bold red"
S_VIOLATION = "bold white on red"
S_OUTCOME = "bold red"
S_CLEAN = "bold green"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 seed``, ``2 seeds``, ``1 switch``, ``0 switches``."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def explain_header(e: Explanation) -> list[Text]:
    sc = e.scenario
    return [
        Text(f"pcemu explain: {run_line(e)}"),
        Text(f"  {sc.title}"),
        Text(f"  thread: {sc.thread}"),
        Text(f"  commits: {sc.commits}"),
        Text(
            f"  {plural(len(e.steps), 'step')}, {plural(e.switches, 'switch', 'switches')}; "
            f"actors: {', '.join(e.actors)}"
        ),
    ]


def key_lines(e: Explanation, indent: str = "") -> list[Text]:
    """The key fact, said once above the interleaving."""
    return [
        Text.assemble((f"{indent}Key fact: ", S_KEY), (f"{k.name} {k.key}", "bold")) for k in e.keys
    ]


def interleaving(e: Explanation, verbose: bool = False, sources: bool = True) -> list[Text]:
    """The numbered blocks; a repeated window of steps is shown once, then ``xN iterations``,
    then its last repetition (``verbose``: every step)."""
    out: list[Text] = []
    width = len(str(len(e.steps)))
    pad = " " * (7 + width)
    hidden: dict[int, an.Fold] = {}
    if not verbose:
        for f in e.folds:
            for n in f.hidden():
                hidden[n] = f
    block = 0
    prev = -1
    for s in e.steps:
        f = hidden.get(s.n)
        if f is not None:
            if s.n == f.first + f.period:
                gone = f.hidden()
                out.append(
                    Text(
                        f"{pad}... \u00d7{f.times} iterations of {an.loop_labels(e.steps, f)} "
                        f"(steps {f.first}-{f.last}); {len(gone)} steps folded, the first and "
                        f"last iteration shown (-v: all)",
                        style=S_NOTE,
                    )
                )
            continue
        if s.actor != prev:
            block += 1
            prev = s.actor
            before = _held_before(e, s)
            line = Text.assemble((f"{block:>3}. {s.name}", S_BLOCK))
            if before:
                line.append(f"   (holds {', '.join(before)})", S_SOURCE)
            out.append(line)
        out.append(_step_line(s, width))
        if sources and s.source is not None:
            out.append(Text(f"{pad}{s.source.where}  {s.source.text}", style=S_SOURCE))
        if sources:
            for note in s.notes:
                out.append(Text(f"{pad}! {note}", style=S_NOTE))
            if s.key is not None:
                out.append(Text(f"{pad}>> key fact: {s.key}", style=S_KEY))
    return out


def _step_line(s: Step, width: int) -> Text:
    style = S_VIOLATION if s.status == FIRES else S_KEY if s.key is not None else ""
    line = Text(f"    {s.n:>{width}}  ")
    line.append(f"[{s.label}] {s.text}", style)
    parts: list[tuple[str, str]] = []
    if s.status == PARKS:
        parts.append(("-> parks" + (f" waiting for {s.waits}" if s.waits else ""), S_WAIT))
    if s.status == FIRES:
        parts.append(("-> VIOLATION", S_VIOLATION))
    if s.takes:
        parts.append((f"+{s.takes}", S_TAKE))
    if s.releases:
        parts.append((f"-{s.releases}", S_RELEASE))
    for i, (text, st) in enumerate(parts):
        line.append("   " if i == 0 else "  ")
        line.append(text, st)
    return line


def outcome(e: Explanation, verbose: bool = False) -> list[Text]:
    """The oracle's verdict, the locks held then, the model's account of the objects the race
    touched, and warnings."""
    failed = e.violation is not None or e.status != "clean"
    out = [Text(f"=> {outcome_line(e)}", style=S_OUTCOME if failed else S_CLEAN)]
    last = _last_held(e)
    if last:
        out.append(Text("   locks held then: " + "; ".join(last)))
    if e.snapshot:
        keep = an.touched(e.steps, e.violation, last)
        lines, left = (e.snapshot, 0) if verbose else an.snapshot_objects(e.snapshot, keep)
        out.append(Text(""))
        out.append(Text("State when it fired (the model's own account):"))
        out.extend(Text(f"  {line}") for line in lines)
        if left:
            out.append(
                Text(
                    f"  ({plural(left, 'object')} the race did not touch left out; -v shows all)",
                    style=S_SOURCE,
                )
            )
    if e.warnings:
        out.append(Text(""))
        out.append(Text("Warnings (the kernel would WARN; this run was told to go on):"))
        out.extend(Text(f"  {w}") for w in e.warnings)
    return out


def lives(e: Explanation, verbose: bool = False) -> list[Text]:
    if not e.lives:
        return []
    keep = an.touched(e.steps, e.violation, _last_held(e))
    shown = [x for x in e.lives if verbose or e.violation is None or x.oid in keep]
    out = [Text(""), Text("Objects (generation: first step - last step, first seen at):")]
    for life in shown:
        out.append(
            Text(
                f"  {life.kind}#{life.oid} gen {life.gen}: steps {life.first}-{life.last}, "
                f"first seen at {life.by}"
            )
        )
    if len(shown) < len(e.lives):
        left = len({x.oid for x in e.lives} - {x.oid for x in shown})
        out.append(
            Text(
                f"  ({plural(left, 'object')} the race did not touch left out; -v shows all)",
                style=S_SOURCE,
            )
        )
    return out


def explain_lines(e: Explanation, verbose: bool = False) -> list[Text]:
    """``pcemu explain``: the run, the key fact, the interleaving, the outcome, the objects."""
    out = explain_header(e)
    keys = key_lines(e, "  ")
    out.extend(keys)
    out.append(Text(""))
    out.extend(interleaving(e, verbose))
    out.append(Text(""))
    out.extend(outcome(e, verbose))
    out.extend(lives(e, verbose))
    return out


def report_lines(
    e: Explanation,
    head: Sequence[str],
    repro: Sequence[str],
    verbose: bool = False,
    detail: bool = True,
) -> list[Text]:
    """``pcemu run``/``hunt``/``replay``: the run report's header lines (``head``, the first
    one emphasised when the run failed), then for a failure the explanation, and for a clean
    run with ``verbose`` a compact interleaving; then the commands that reproduce it."""
    failed = e.violation is not None or e.status != "clean"
    out: list[Text] = []
    for i, line in enumerate(head):
        style = (S_OUTCOME if failed else S_CLEAN) if i == 0 else ""
        out.append(Text(line, style=style))
    out.extend(key_lines(e))
    if failed and detail:
        out.append(Text(""))
        out.append(Text("Interleaving:"))
        out.extend(interleaving(e, verbose))
        out.append(Text(""))
        out.extend(outcome(e, verbose))
    elif verbose:
        out.append(Text(""))
        out.append(Text("Interleaving:"))
        out.extend(interleaving(e, verbose=False, sources=False))
    if repro:
        out.append(Text(""))
        out.append(Text("Reproduce:"))
        out.extend(Text(f"  {c}") for c in repro)
    return out


def plain(lines: Sequence[Text]) -> str:
    return "".join(t.plain + "\n" for t in lines)


def render_text(e: Explanation, verbose: bool = False) -> str:
    return plain(explain_lines(e, verbose))


def use_color(out: TextIO) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(callable(isatty) and isatty())


def emit(lines: Sequence[Text], out: TextIO | None = None) -> None:
    """Write the lines: coloured on a terminal, plain otherwise."""
    target = out or sys.stdout
    if not use_color(target):
        target.write(plain(lines))
        target.flush()
        return
    console = Console(file=target, highlight=False, soft_wrap=True, force_terminal=True)
    for line in lines:
        console.print(line)


def colored(lines: Sequence[Text]) -> str:
    """The lines with ANSI colours, as a terminal would get them (for tests)."""
    buf = io.StringIO()
    Console(file=buf, highlight=False, soft_wrap=True, force_terminal=True).print(*lines, sep="\n")
    return buf.getvalue()


def _held_before(e: Explanation, s: Step) -> tuple[str, ...]:
    for t in reversed(e.steps[: s.n - 1]):
        if t.actor == s.actor:
            return t.held
    return ()


def _last_held(e: Explanation) -> list[str]:
    last: dict[int, tuple[str, ...]] = {}
    for s in e.steps:
        last[s.actor] = s.held
    return [f"{e.actors[a]}: {', '.join(h)}" for a, h in sorted(last.items()) if h]
