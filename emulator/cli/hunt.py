"""``pcemu hunt``: seeds in order until one fails (or, with ``--count``, all of them and the hits
of each oracle), on one process or several; its loop is in ``hunting``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from emulator.cli import exits
from emulator.cli.hunting import Seen, parallel, sequential
from emulator.cli.options import jobs_option, log_trace_options
from emulator.cli.output import (
    BoundedInt,
    echo_err,
    emit_json,
    verbosity,
    verbosity_options,
)
from emulator.cli.progress import plural, progress
from emulator.cli.recordings import (
    interruptible,
)
from emulator.cli.runs import (
    check_outputs,
    keep,
    keep_options,
    kept_paths,
    make_spec,
    out_dir,
    result_dict,
    run_options,
)
from emulator.engine.choices import Replay
from emulator.engine.strategies import has_campaign
from emulator.engine.violations import ERROR
from emulator.errors import BadInput, Interrupted
from emulator.run import interrupts
from emulator.run.failures import crash_error
from emulator.run.inputs import output_dir
from emulator.run.session import RunSpec, execute
from emulator.run.spec import SEED_LIMIT


def seed_span(start: int, last: int) -> str:
    return f"{start:,}" if last == start else f"{start:,}\u2013{last:,}"  # an en dash


@click.command()
@click.argument("name")
@click.option(
    "--seeds",
    type=BoundedInt(1, 10**12, "--seeds"),
    default=200,
    show_default=True,
    help="how many seeds to try",
)
@click.option(
    "--start", type=BoundedInt(0, SEED_LIMIT - 1, "--start"), default=0, show_default=True
)
@run_options
@log_trace_options(
    log_help="write the failing run's log here",
    trace_help="write the failing run's trace file here",
)
@keep_options
@click.option(
    "--count",
    is_flag=True,
    help="run every seed and count the hits of each oracle (the rate)",
)
@jobs_option("processes to run seeds on (same answers as -j 1)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.option("--shrink", "do_shrink", is_flag=True, help="shrink the failure found, report both")
@verbosity_options
@interruptible
def hunt(
    name: str,
    seeds: int,
    start: int,
    variant: str,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    mem: str | None,
    log: Path | None,
    trace: Path | None,
    out: Path | None,
    save_dir: Path | None,
    no_save: bool,
    count: bool,
    jobs: int,
    as_json: bool,
    do_shrink: bool,
) -> None:
    """Run seeds START.. until one fails; print it and how to reproduce it. With --count, run
    them all and count the hits of each oracle."""
    if start + seeds > SEED_LIMIT:
        raise BadInput(
            f"--start {start} + --seeds {seeds} runs past the last seed (2**64 - 1); "
            "give fewer seeds"
        )
    first = make_spec(name, variant, start, strategy, params, options, budget, mem=mem)
    check_outputs(log, trace, name)
    where = out_dir(out, save_dir)
    if jobs > 1 and has_campaign(strategy):
        echo_err(f"hunt: {strategy} learns from every earlier seed of the hunt; running -j 1")
        jobs = 1
    stream = (
        sequential(first, start, seeds, not count)
        if jobs == 1
        else parallel(first, start, seeds, not count, jobs)
    )
    steps = 0
    done = 0
    hits: dict[str, int] = {}
    failing: Seen | None = None
    with progress("hunt", seeds, "seed") as bar:
        for s in stream:
            done += 1
            steps += s.steps
            bar.advance(steps=s.steps, hit=s.failed)
            if s.status == ERROR:
                scen, result = execute(RunSpec(**{**first.__dict__, "seed": s.seed}))
                raise crash_error(scen, result)
            if s.failed:
                hits[s.key] = hits.get(s.key, 0) + 1
                if not count:
                    failing = s
                    break
    sig = interrupts.received()
    if sig is not None:
        if not done:
            raise Interrupted(sig, "hunt: interrupted before the first seed finished")
        span = seed_span(start, start + done - 1)
        what = f"{sum(hits.values())} failing seeds in" if count else "no failure in"
        raise Interrupted(sig, f"hunt: {what} seeds {span}; interrupted")
    if count:
        report_count(hits, seeds, start, steps, as_json)
    if failing is None:
        if as_json:
            emit_json({"seed": None, "seeds": seeds, "start": start, "steps": steps})
        else:
            click.echo(
                f"hunt: {plural(seeds, 'seed')} from {start} clean ({plural(steps, 'step')})"
            )
        sys.exit(exits.CLEAN)
    spec = RunSpec(**{**first.__dict__, "seed": failing.seed})
    replay = Replay.strict(failing.choices) if failing.choices is not None else None
    scen, result = execute(spec, replay=replay)
    interrupts.check(f"hunt: seed {failing.seed} fails; interrupted before it was saved")
    header = spec.header(scen)
    if do_shrink and trace is None and no_save:
        output_dir(where, "-o/--out")
        trace = where / f"hunt-{failing.seed}.pctrace"  # shrinking reads the failure's trace
    log, trace = kept_paths(spec, scen, True, log, trace, where, no_save)
    keep(spec, header, result, log, trace)
    from emulator.run.artifacts import repro_commands  # a failure's: clean hunts never need it

    repro = repro_commands(spec, log, trace)
    if as_json:
        d = result_dict(header, result, repro)
        d.update(seed=failing.seed, seeds=done, steps_total=steps)
        emit_json(d)
    else:
        tried = failing.seed - start + 1
        click.echo(
            f"hunt: seed {failing.seed} fails after {plural(tried, 'seed')} "
            f"({plural(steps, 'step')})"
        )
        if verbosity() >= 0:
            from emulator.debug.explain_report import report, with_sites
            from emulator.debug.explain_text import emit

            emit(report(header, scen, with_sites(spec, result), repro, verbosity() > 0))
        if do_shrink and trace is not None:
            from emulator.cli.debug import shrink_and_report

            click.echo("")
            shrink_and_report(trace, verbosity() > 0)
    sys.exit(exits.FOUND)


def report_count(hits: dict[str, int], seeds: int, start: int, steps: int, as_json: bool) -> None:
    if as_json:
        emit_json(hits)
    else:
        total = sum(hits.values())
        click.echo(f"hunt: {seeds} seeds from {start}: {total} failing ({steps} steps)")
        width = max((len(k) for k in hits), default=0)
        for k, n in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {k:<{width}}  {n:>6}  ({100 * n / seeds:.1f}%)")
    sys.exit(exits.FOUND if hits else exits.CLEAN)
