"""``pcemu verify``: every execution of a scenario variant within a preemption bound.

Ends with "no violation in any execution with <= N preemptions: E executions, T s", or with
the first counterexample, saved as a trace file that ``pcemu replay`` and ``pcemu explain``
accept (its header names the strategy ``random``, which never delays, and its choices are the
counterexample's).
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from emulator.cli import exits
from emulator.cli.app import make_spec, parse_pairs
from emulator.engine.verify import verify
from emulator.errors import BadInput
from emulator.run.session import resolved_options, validate


@click.command("verify")
@click.argument("name")
@click.option("--variant", default="fixed", show_default=True, help="the variant to verify")
@click.option(
    "--preemptions",
    type=int,
    default=2,
    show_default=True,
    help="the preemption bound: switches away from an actor that could still run",
)
@click.option(
    "-o", "--option", "options", multiple=True, help="scenario option KEY=VALUE (see pcemu list)"
)
@click.option("--budget", type=int, default=None, help="step budget (default: scenario's)")
@click.option(
    "--limit",
    type=int,
    default=1_000_000,
    show_default=True,
    help="stop (inconclusive) after this many executions",
)
@click.option(
    "--trace",
    type=click.Path(path_type=Path),
    default=None,
    help="where a counterexample's trace is written (default: under --save-dir)",
)
@click.option(
    "--save-dir", type=click.Path(path_type=Path), default=Path("pcemu-runs"), show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of text")
def verify_cmd(
    name: str,
    variant: str,
    preemptions: int,
    options: Sequence[str],
    budget: int | None,
    limit: int,
    trace: Path | None,
    save_dir: Path,
    as_json: bool,
) -> None:
    """Explore every execution of NAME's VARIANT with at most N preemptions (depth first).
    Exit 0: none fails; 1: a counterexample (saved); 2: bad input, or the limit was reached."""
    from emulator.run.artifacts import save

    if preemptions < 0:
        raise BadInput(f"--preemptions {preemptions} is negative; give a bound >= 0")
    if limit <= 0:
        raise BadInput(f"--limit {limit} must be a positive number of executions")
    spec = make_spec(name, variant, 0, "random", (), options, budget)
    scen = validate(spec)
    opts = resolved_options(scen, parse_pairs(options, "-o"))
    steps = budget or scen.budget

    def build() -> Any:
        setup = scen.build(variant, opts)
        return setup.model, setup.actors

    t0 = time.monotonic()
    v = verify(build, lambda r: r.outcome.failed, preemptions, steps, limit)
    secs = time.monotonic() - t0  # display only
    out: dict[str, Any] = {
        "scenario": name,
        "variant": variant,
        "preemptions": preemptions,
        "executions": v.executions,
        "complete": v.complete,
        "seconds": round(secs, 1),
        "outcomes": dict(sorted(v.outcomes.items())),
    }
    code = exits.CLEAN
    if v.witness is not None:
        r = v.witness
        path = trace
        if path is None:
            stem = Path(name).stem if name.endswith(".py") else name
            path = save_dir / f"{stem}-{variant}-verify-p{preemptions}.pctrace"
        path.parent.mkdir(parents=True, exist_ok=True)
        save(spec.header(scen), r, None, path)
        o = r.outcome
        what = o.violation.oracle if o.violation is not None else o.status
        msg = o.violation.message if o.violation is not None else (o.error or "")
        out.update(found=what, message=msg, trace=str(path))
        text = (
            f"counterexample after {v.executions} executions: {what}: {msg}\n"
            f"  trace: {path}\n"
            f"  {shlex.join(['pcemu', 'replay', str(path)])}\n"
            f"  {shlex.join(['pcemu', 'explain', str(path)])}"
        )
        code = exits.FOUND
    elif v.complete:
        text = (
            f"no violation in any execution with <= {preemptions} preemptions: "
            f"{v.executions} executions, {secs:.1f} s"
        )
    else:
        text = (
            f"inconclusive: stopped at --limit {limit} executions with <= {preemptions} "
            f"preemptions and no violation, {secs:.1f} s"
        )
        code = exits.BAD
    click.echo(json.dumps(out) if as_json else text)
    sys.exit(code)
