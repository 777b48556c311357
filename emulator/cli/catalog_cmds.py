"""``pcemu list`` and ``pcemu show NAME``: the scenario catalogue, and one scenario with its
variants, options, labels, oracles, era, thread and commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from emulator.cli.output import (
    emit_json,
    verbosity_options,
)
from emulator.run.catalog import builtin, load
from emulator.run.scenario import Scenario

LIST_WIDTH = 100


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def _short_list(items: Sequence[str], width: int) -> str:
    text = "/".join(items)
    if len(text) <= width:
        return text or "-"
    shown: list[str] = []
    for i, it in enumerate(items):
        more = f" +{len(items) - i}"
        if len("/".join([*shown, it])) + len(f" +{len(items) - i - 1}") > width:
            return "/".join(shown) + more
        shown.append(it)
    return "/".join(shown)


@click.command("list")
@verbosity_options
@click.option("--json", "as_json", is_flag=True, help="print the catalogue as JSON")
def list_cmd(as_json: bool) -> None:
    """List the built-in scenarios (pcemu show NAME: one in full)."""
    table = builtin()
    if as_json:
        emit_json({name: scenario_dict(s) for name, s in table.items()})
        return
    rows = [("NAME", "SPEC", "ERA", "VARIANTS", "BUGGY TRIPS")]
    for s in table.values():
        rows.append(
            (s.name, s.spec_id, s.era, ",".join(s.variants), "/".join(s.expects.get("buggy", ())))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    room = LIST_WIDTH - sum(widths) - 2 * 4
    for r in rows:
        head = "  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:4]))
        cell = r[4] if len(r[4]) <= room else _short_list(r[4].split("/"), room)
        click.echo(_fit(f"{head}  {cell or '-'}", LIST_WIDTH).rstrip())


def scenario_labels(scen: Scenario) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """Labels from every variant's directed schedule and chaos windows, and the schedules."""
    labels: list[str] = []
    directed: dict[str, list[tuple[str, str]]] = {}
    from emulator.run.failures import build
    from emulator.run.session import resolved_options

    opts = resolved_options(scen, {})
    for variant in scen.variants:
        setup = build(scen, variant, opts)
        directed[variant] = [(str(e[0]), str(e[1])) for e in setup.directed]
        for _a, lab, *_ in setup.directed:
            labels.append(str(lab))
        for a, b in setup.windows:
            labels.extend((str(a), str(b)))
    labels.extend(scen.labels)
    return list(dict.fromkeys(labels)), directed


def scenario_dict(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "spec_id": s.spec_id,
        "title": s.title,
        "era": s.era,
        "mem": s.mem,
        "thread": s.thread,
        "commits": s.commits,
        "variants": list(s.variants),
        "expects": {k: list(v) for k, v in s.expects.items()},
        "options": {k: {"default": v[0], "values": list(v)} for k, v in s.options.items()},
        "budget": s.budget,
        "verified": dict(s.verified),
    }


@click.command("show")
@click.argument("name")
@verbosity_options
@click.option("--json", "as_json", is_flag=True, help="print it as JSON")
def show(name: str, as_json: bool) -> None:
    """Everything about one scenario: variants, options with defaults, labels, oracles, era,
    thread and commits."""
    scen = load(name)
    labels, directed = scenario_labels(scen)
    if as_json:
        d = scenario_dict(scen)
        d["labels"] = {lab: scen.labels.get(lab, "") for lab in labels}
        d["directed"] = directed
        emit_json(d)
        return
    click.echo(f"{scen.name} ({scen.spec_id}, {scen.era}, mem {scen.mem}): {scen.title}")
    click.echo(f"  thread:    {scen.thread}")
    click.echo(f"  commits:   {scen.commits}")
    for v in scen.variants:
        trips = ", ".join(scen.expects.get(v, ())) or "clean"
        click.echo(f"  variant    {v}: {trips}")
        if v in scen.verified:
            click.echo(f"  verified   {v}: {scen.verified[v]}")
    if not scen.options:
        click.echo("  options:   none")
    for k, vals in scen.options.items():
        others = " | ".join(vals[1:])
        click.echo(
            f"  option     --set {k}={vals[0]} (default)" + (f"; or {others}" if others else "")
        )
    oracles = sorted({o for v in scen.expects.values() for o in v})
    click.echo(f"  oracles:   {', '.join(oracles) or 'none declared'}")
    for v, sched in directed.items():
        steps = " -> ".join(f"{a} {lab}" for a, lab in sched) or "none"
        click.echo(f"  directed   {v}: {steps}")
    if scen.labels:
        for lab in labels:
            if lab in scen.labels:
                click.echo(f"  label      {lab}: {scen.labels[lab]}")
    click.echo(f"  labels:    {' '.join(labels) or 'none'}")
    click.echo(f"  budget:    {scen.budget} steps")
