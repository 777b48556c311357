"""``pcemu verify``: every execution of a scenario variant within a preemption bound.

Ends with "no violation in any execution with <= N preemptions: E executions, T s", or with
the first counterexample, saved as a trace file that ``pcemu replay`` and ``pcemu explain``
accept (its header names the strategy ``random``, which never delays, and its choices are the
counterexample's).
"""

from __future__ import annotations

import shlex
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from emulator.cli import exits
from emulator.cli.options import jobs_option, path_option
from emulator.cli.output import (
    BoundedInt,
    OneOf,
    echo_err,
    emit_json,
    verbosity,
    verbosity_options,
)
from emulator.cli.recordings import interruptible
from emulator.cli.runs import keep, make_spec, out_dir, script_input
from emulator.engine.verify import REDUCTIONS, Verdict, verify
from emulator.engine.violations import ERROR
from emulator.errors import BadInput, Interrupted, ScenarioError
from emulator.run import interrupts
from emulator.run.artifacts import replay_command
from emulator.run.failures import _loop_slot, build, crash_error, leaf
from emulator.run.inputs import not_an_input, output_dir, output_file
from emulator.run.scenario import Scenario
from emulator.run.session import RunSpec, build_options, execute, validate
from emulator.run.spec import MAX_BUDGET


def search_error(scen: Scenario, spec: RunSpec, exc: BaseException) -> ScenarioError:
    """A model step raised during the search: the one line a run gives for it, with the step
    and the actor (and, when the plain run of the spec raises too, the scenario line)."""
    try:
        execute(spec)
    except ScenarioError as again:
        return again
    except Exception:  # the search's own exception is reported below
        pass
    e = leaf(exc)
    slot = _loop_slot(e.__traceback__)
    tb = "".join(traceback.format_exception(e)).strip()
    exc_line = tb.splitlines()[-1] if tb else type(e).__name__
    return ScenarioError(
        f"scenario {scen.name}: the model raised {exc_line} in step "
        f"[{getattr(slot, 'label', '?')}] of actor {getattr(slot, 'name', '?')}; a bug in the "
        "scenario or in pcemu, not a race (-v shows the traceback)",
        tb,
    )


@click.command("verify")
@click.argument("name")
@click.option("--variant", default="fixed", show_default=True, help="the variant to verify")
@click.option(
    "-p",
    "--preemptions",
    type=BoundedInt(0, 16, "--preemptions"),
    default=2,
    show_default=True,
    help="the preemption bound: switches away from an actor that could still run",
)
@click.option(
    "--delays",
    type=BoundedInt(0, 16, "--delays"),
    default=None,
    help="bound the delays of a round-robin scheduler instead of the preemptions "
    "(delay-bounded scheduling; docs/verify.md)",
)
@click.option(
    "--set", "options", multiple=True, help="scenario option KEY=VALUE (see pcemu show NAME)"
)
@click.option("--mem", default=None, help="memory mode sc | tso | weak (default: scenario's)")
@click.option(
    "--budget",
    type=BoundedInt(1, MAX_BUDGET, "--budget"),
    default=None,
    help="step budget (default: scenario's)",
)
@click.option(
    "--limit",
    type=BoundedInt(1, 100_000_000, "--limit"),
    default=1_000_000,
    show_default=True,
    help="stop (inconclusive) after this many executions",
)
@click.option(
    "--max-seconds",
    type=BoundedInt(1, 10**7, "--max-seconds"),
    default=None,
    help="stop (inconclusive) after this many seconds of wall time (the result is then not "
    "reproducible; --limit is)",
)
@path_option(
    "--trace", "trace", help="where a counterexample's trace is written (default: under -o/--out)"
)
@path_option(
    "-o", "--out", "out", help="directory for a counterexample's trace [default: pcemu-runs]"
)
@click.option(
    "--reduction",
    type=OneOf(REDUCTIONS, "a reduction"),
    default="state",
    show_default=True,
    help="state: cut a run at a state (partial order of its steps) already explored with no "
    "more preemptions; none: the plain search (docs/verify.md)",
)
@jobs_option(
    "processes sharing the search (the verdict is the same; the count of executions varies)"
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of text")
@verbosity_options
@interruptible
def verify_cmd(
    name: str,
    variant: str,
    preemptions: int,
    delays: int | None,
    options: Sequence[str],
    mem: str | None,
    budget: int | None,
    limit: int,
    max_seconds: int | None,
    trace: Path | None,
    out: Path | None,
    reduction: str,
    jobs: int,
    as_json: bool,
) -> None:
    """Explore every execution of NAME's VARIANT with at most N preemptions (depth first), or
    with --delays D every run of a round-robin scheduler delayed at most D times.
    Exit 0: none fails; 1: a counterexample (saved); 2: bad input, or the limit was reached."""
    counting = "preemptions" if delays is None else "delays"
    bound = preemptions if delays is None else delays
    spec = make_spec(name, variant, 0, "random", (), options, budget, mem=mem)
    scen = validate(spec)
    opts = build_options(scen, spec)
    steps = budget or scen.budget
    if trace is not None:
        output_file(trace, "--trace")
        not_an_input(trace, "--trace", script_input(name))
    save_dir = out_dir(out, None)

    def program() -> Any:
        setup = build(scen, variant, opts)
        return setup.model, setup.actors

    def progress(v: Verdict) -> None:
        if verbosity() > 0 and not as_json:
            echo_err(f"verify: {v.executions:,} executions, no violation yet")

    t0 = time.monotonic()

    def stop() -> bool:
        return interrupts.received() is not None or (
            max_seconds is not None and time.monotonic() - t0 > max_seconds
        )

    try:
        if jobs > 1:
            from emulator.run.verifying import Search, parallel_verify

            task = Search(spec, bound, steps, counting, reduction)
            v = parallel_verify(task, jobs, limit, stop, progress)
        else:
            v = verify(
                program,
                lambda r: r.outcome.failed,
                bound,
                steps,
                limit,
                progress,
                stop=stop,
                reduction=reduction,
                counting=counting,
            )
    except (BadInput, ScenarioError, Interrupted):
        raise
    except Exception as exc:
        raise search_error(scen, spec, exc) from None
    secs = time.monotonic() - t0  # display only: the exploration itself never reads a clock
    if v.witness is not None and v.witness.outcome.status == ERROR:
        # An actor's code raised: a bug in the scenario, as run and hunt say, not a
        # counterexample (nothing is saved).
        raise crash_error(scen, v.witness)
    if v.witness is None and interrupts.received() is not None:
        raise Interrupted(
            interrupts.received() or 2,
            f"verify: {v.executions:,} executions with <= {bound} {counting}, "
            "no violation; interrupted before the bound was exhausted",
        )
    result: dict[str, Any] = {
        "scenario": scen.name,
        "variant": variant,
        counting: bound,
        "executions": v.executions,
        "complete": v.complete,
        "seconds": round(secs, 1),
        "reduction": reduction,
        "cut": v.cut,
        "states": v.states,
        "outcomes": dict(sorted(v.outcomes.items())),
        "jobs": jobs,
    }
    code = exits.CLEAN
    if v.witness is not None:
        r = v.witness
        path = trace
        if path is None:
            output_dir(save_dir, "-o/--out")
            tag = f"p{bound}" if delays is None else f"d{bound}"
            path = save_dir / f"{scen.name}-{variant}-verify-{tag}.pctrace"
            not_an_input(path, "-o/--out", script_input(name))
        keep(spec, spec.header(scen), r, None, path)
        o = r.outcome
        what = o.violation.oracle if o.violation is not None else o.status
        msg = o.violation.message if o.violation is not None else (o.error or "")
        result.update(found=what, message=msg, trace=str(path))
        text = (
            f"counterexample after {v.executions:,} executions: {what}: {msg}\n"
            f"  trace: {path}\n"
            f"  {replay_command(spec, path)}\n"
            f"  {shlex.join(['pcemu', 'explain', str(path)])}"
        )
        code = exits.FOUND
    elif v.complete:
        text = (
            f"no violation in any execution with <= {bound} {counting}: "
            f"{v.executions:,} executions, {secs:.1f} s"
        )
        if v.cut:
            text += f" ({v.cut:,} of them cut at a state already explored)"
    elif v.executions < limit:
        text = (
            f"inconclusive: stopped after --max-seconds {max_seconds} ({v.executions:,} "
            f"executions with <= {bound} {counting} and no violation, {secs:.1f} s); "
            f"raise --max-seconds or lower --{counting}"
        )
        code = exits.BAD
    else:
        text = (
            f"inconclusive: stopped at --limit {limit:,} executions with <= {bound} "
            f"{counting} and no violation, {secs:.1f} s; raise --limit or lower --{counting}"
        )
        code = exits.BAD
    if as_json:
        emit_json(result)
    else:
        click.echo(text)
    sys.exit(code)
