"""``pcemu oracles`` and ``pcemu primitives``: the reference generated from the code.

Registered through the ``pcemu.commands`` entry point, so the engine's CLI never imports this
package. Exit 0, or 2 with one line for a filter that matches nothing.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict

import click

from actors.model.oracles import ORACLES
from actors.reference.catalog import primitives as all_primitives
from emulator.errors import BadInput


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(
        text, width=100, initial_indent=" " * indent, subsequent_indent=" " * indent
    )


@click.command("oracles")
@click.argument("oracle_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="print the table as JSON")
def oracles(oracle_id: str | None, as_json: bool) -> None:
    """Every oracle a run can report: what it checks, the symptom a kernel of the era shows,
    and where pcemu checks it (ORACLE_ID: only that one)."""
    rows = list(ORACLES)
    if oracle_id is not None:
        rows = [o for o in rows if o.id.lower() == oracle_id.lower()]
        if not rows:
            known = ", ".join(o.id for o in ORACLES)
            raise BadInput(f"no oracle {oracle_id!r}; known: {known}")
    if as_json:
        click.echo(json.dumps([asdict(o) for o in rows], indent=2))
        return
    for o in rows:
        click.echo(o.id)
        click.echo(_wrap(f"checks:  {o.meaning}", 2))
        click.echo(_wrap(f"symptom: {o.symptom}", 2))
        click.echo(_wrap(f"where:   {o.raised_by}", 2))


@click.command("primitives")
@click.argument("family", required=False)
@click.option("--json", "as_json", is_flag=True, help="print the list as JSON")
def primitives(family: str | None, as_json: bool) -> None:
    """Every primitive actor code can call (the ops of the actor API K, one step each) and every
    kernel routine of actors/kernel/ (labelled steps), with its kernel citation. FAMILY: only
    one API part (pages, locks, ...) or kernel module (kernel.fault, ...), or a name's part."""
    rows = all_primitives()
    if family is not None:
        want = family.lower()
        picked = [p for p in rows if p.family == want]
        rows = picked or [p for p in rows if want in p.name]
        if not rows:
            families = ", ".join(sorted({p.family for p in all_primitives()}))
            raise BadInput(f"no primitive family or name matching {family!r}; families: {families}")
    if as_json:
        click.echo(json.dumps([asdict(p) for p in rows], indent=2))
        return
    current = ""
    for p in rows:
        if p.family != current:
            current = p.family
            what = "kernel routines" if p.kind == "routine" else "ops (k.NAME, one step each)"
            click.echo(f"\n{current}: {what}")
        click.echo(f"  {p.name}{p.signature}")
        if p.doc:
            click.echo(_wrap(p.doc, 6))
