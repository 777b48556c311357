"""The user's surface: ``pcemu list | run | hunt | replay``, and the group every other
command joins. Exit status: see ``exits``. Bad input is always one line naming the bad value
and the fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

import click

from emulator import __version__
from emulator.cli import exits
from emulator.cli.lazy import LazyCommand
from emulator.cli.lazy import debug as debug_cmds
from emulator.cli.lazy import soak as soak_cmds
from emulator.engine.strategies import STRATEGIES
from emulator.errors import BadInput
from emulator.run.catalog import builtin
from emulator.run.progress import plural, progress
from emulator.run.session import RunSpec, execute, run_many, validate


def fail(msg: str) -> NoReturn:
    click.echo(f"pcemu: error: {msg}", err=True)
    sys.exit(exits.BAD)


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for p in pairs:
        if "=" not in p:
            raise BadInput(
                f"{what} {p!r} is not KEY=VALUE; write e.g. {what} page_lock_policy=P-OLD"
            )
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in parse_pairs(pairs, "-p").items():
        try:
            out[k] = int(v)
        except ValueError:
            raise BadInput(f"strategy parameter {k}={v!r} is not an integer") from None
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pcemu")
def cli() -> None:
    """pcemu: seeded, actor-based emulator of Linux page-cache concurrency."""


@cli.command("list")
def list_cmd() -> None:
    """List the built-in scenarios."""
    rows = [("NAME", "SPEC", "ERA", "MEM", "VARIANTS", "BUGGY TRIPS", "THREAD")]
    for s in builtin().values():
        rows.append(
            (
                s.name,
                s.spec_id,
                s.era,
                s.mem,
                ",".join(s.variants),
                "/".join(s.expects.get("buggy", ())) or "-",
                s.thread,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        click.echo("  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:6])) + "  " + r[6])


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--variant", default="buggy", show_default=True, help="buggy, fixed, ..."),
        click.option("--strategy", default="chaos", show_default=True, help=" | ".join(STRATEGIES)),
        click.option(
            "-p",
            "--param",
            "params",
            multiple=True,
            help="strategy parameter KEY=INT (pct: depth, k; chaos: switch, delay_in, delay_out)",
        ),
        click.option(
            "-o",
            "--option",
            "options",
            multiple=True,
            help="scenario option KEY=VALUE (see pcemu list)",
        ),
        click.option("--budget", type=int, default=None, help="step budget (default: scenario's)"),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def keep_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--no-save", is_flag=True, help="do not keep a failing run's log and trace file"
    )(f)
    return click.option(
        "--save-dir",
        type=click.Path(path_type=Path),
        default=Path("pcemu-runs"),
        show_default=True,
        help="where a failing run's log and trace are kept when --log/--trace are not given",
    )(f)


def kept_paths(
    spec: RunSpec,
    failed: bool,
    log: Path | None,
    trace: Path | None,
    save_dir: Path,
    no_save: bool,
) -> tuple[Path | None, Path | None]:
    """A failing run is worth keeping: unless told otherwise, its log and trace go to
    save_dir, named after what reproduces them."""
    if not failed or no_save or log is not None or trace is not None:
        return log, trace
    stem = Path(spec.scenario).stem if spec.scenario.endswith(".py") else spec.scenario
    base = save_dir / f"{stem}-{spec.variant}-{spec.strategy}-{spec.schedule}-s{spec.seed}"
    return base.with_suffix(".jsonl"), base.with_suffix(".pctrace")


def make_spec(
    name: str,
    variant: str,
    seed: int,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    schedule: str = "seeded",
) -> RunSpec:
    spec = RunSpec(
        scenario=name,
        variant=variant,
        seed=seed,
        strategy=strategy,
        strategy_params=parse_params(params),
        schedule=schedule,
        options=parse_pairs(options, "-o"),
        budget=budget,
    )
    validate(spec)
    if budget is not None and budget <= 0:
        raise BadInput(f"--budget {budget} must be a positive number of steps")
    return spec


@cli.command()
@click.argument("name")
@click.option("--seed", type=int, default=0, show_default=True)
@run_options
@click.option(
    "--schedule",
    default="seeded",
    show_default=True,
    help="seeded, or directed (the spec's numbered bad interleaving first)",
)
@click.option(
    "--log",
    "log",
    type=click.Path(path_type=Path),
    default=None,
    help="write the structlog JSON-lines log here",
)
@click.option(
    "--trace",
    "trace",
    type=click.Path(path_type=Path),
    default=None,
    help="write the trace file (choices and every step) here",
)
@click.option("--log-steps", is_flag=True, help="also log one event per step (slow)")
@click.option(
    "-v", "--verbose", is_flag=True, help="every object and step; a clean run's interleaving"
)
@keep_options
def run(
    name: str,
    seed: int,
    variant: str,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    schedule: str,
    log: Path | None,
    trace: Path | None,
    log_steps: bool,
    verbose: bool,
    save_dir: Path,
    no_save: bool,
) -> None:
    """Run one scenario (a built-in NAME or a path to a scenario script) under one seed."""
    from emulator.debug.explain_report import report, with_sites
    from emulator.debug.explain_text import emit
    from emulator.run.artifacts import repro_commands, save

    spec = make_spec(name, variant, seed, strategy, params, options, budget, schedule)
    scen, result = execute(spec)
    header = spec.header(scen)
    log, trace = kept_paths(spec, result.outcome.failed, log, trace, save_dir, no_save)
    save(header, result, log, trace, log_steps)
    shown = with_sites(spec, result)
    emit(report(header, scen, shown, repro_commands(spec, log, trace), verbose))
    sys.exit(exits.FOUND if result.outcome.failed else exits.CLEAN)


@cli.command()
@click.argument("name")
@click.option("--seeds", type=int, default=200, show_default=True, help="how many seeds to try")
@click.option("--start", type=int, default=0, show_default=True, help="first seed")
@run_options
@click.option(
    "--log",
    "log",
    type=click.Path(path_type=Path),
    default=None,
    help="write the failing run's log here",
)
@click.option(
    "--trace",
    "trace",
    type=click.Path(path_type=Path),
    default=None,
    help="write the failing run's trace file here",
)
@click.option("--shrink", "do_shrink", is_flag=True, help="shrink the failure found, report both")
@click.option("-v", "--verbose", is_flag=True, help="every object and step in the report")
@keep_options
def hunt(
    name: str,
    seeds: int,
    start: int,
    variant: str,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    log: Path | None,
    trace: Path | None,
    do_shrink: bool,
    verbose: bool,
    save_dir: Path,
    no_save: bool,
) -> None:
    """Run seeds START.. until one fails; print it and how to reproduce it."""
    if seeds <= 0:
        raise BadInput(f"--seeds {seeds} must be positive")
    first = make_spec(name, variant, start, strategy, params, options, budget)
    scen = validate(first)
    steps = 0
    todo = range(start, start + seeds)
    runs = run_many(
        first.scenario,
        first.variant,
        todo,
        first.strategy,
        strategy_params=first.strategy_params,
        schedule=first.schedule,
        options=first.options,
        budget=first.budget,
        until=lambda r: r.outcome.failed,
    )
    failed = None
    with progress("hunt", seeds, "seed") as bar:
        for seed, result in zip(todo, runs, strict=False):
            steps += result.outcome.steps
            bar.advance(steps=result.outcome.steps, hit=result.outcome.failed)
            if result.outcome.failed:
                failed = (seed, result)
                break
    if failed is None:
        click.echo(f"hunt: {plural(seeds, 'seed')} from {start} clean ({plural(steps, 'step')})")
        sys.exit(exits.CLEAN)
    from emulator.cli.debug import shrink_and_report
    from emulator.debug.explain_report import report, with_sites
    from emulator.debug.explain_text import emit
    from emulator.run.artifacts import repro_commands, save

    seed, result = failed
    spec = RunSpec(**{**first.__dict__, "seed": seed})
    header = spec.header(scen)
    if do_shrink and trace is None and no_save:
        trace = save_dir / f"hunt-{seed}.pctrace"  # shrinking reads the failure's trace
    log, trace = kept_paths(spec, True, log, trace, save_dir, no_save)
    save(header, result, log, trace)
    tried = seed - start + 1
    click.echo(f"hunt: seed {seed} fails after {plural(tried, 'seed')} ({plural(steps, 'step')})")
    emit(report(header, scen, with_sites(spec, result), repro_commands(spec, log, trace), verbose))
    if do_shrink and trace is not None:
        click.echo("")
        shrink_and_report(trace, verbose)
    sys.exit(exits.FOUND)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="replay a file written by another pcemu version")
@click.option("--quiet", "-q", is_flag=True, help="only the verdict")
@click.option("--finding", default=None, help="a soak finding's id (its sig) instead of FILE")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="the soak directory holding --finding",
)
def replay(
    file: Path | None, force: bool, quiet: bool, finding: str | None, out: Path | None
) -> None:
    """Re-run a recorded run (a --log or --trace file, or a soak finding) and check it is
    reproduced exactly."""
    from emulator.cli.debug import finding_file
    from emulator.debug.explain_report import report
    from emulator.debug.explain_text import emit
    from emulator.debug.replay import replay_file

    if finding is not None:
        if out is None or file is not None:
            raise BadInput("--finding ID needs --out DIR (the soak directory) and no FILE")
        file = finding_file(out, finding)
    elif file is None:
        raise BadInput("give a --log or --trace FILE, or --finding ID --out DIR")
    v = replay_file(file, force, facts=not quiet)
    if not quiet:
        scen = validate(v.spec)
        emit(report(v.spec.header(scen), scen, v.result, []))
        click.echo("")
    if v.reproduced:
        o = v.result.outcome
        click.echo(f"replay: reproduced ({o.status}, {o.steps} steps, trace {o.trace_hash})")
        sys.exit(exits.CLEAN)
    click.echo("replay: DIVERGED")
    for d in v.differences:
        click.echo(f"  {d}")
    sys.exit(exits.FOUND)


cli.add_command(soak_cmds.soak)
cli.add_command(soak_cmds.findings)
cli.add_command(debug_cmds.shrink)
cli.add_command(debug_cmds.explain_cmd)
cli.add_command(LazyCommand("verify", "emulator.cli.verify", "verify_cmd"))


# -- commands contributed by installed packages (pcemu litmus) ----------------------------------
def add_plugin_commands() -> None:
    """Commands registered under the ``pcemu.commands`` entry point group: this package never
    imports the domain packages that provide them."""
    for ep in sorted(entry_points(group="pcemu.commands"), key=lambda e: e.name):
        cli.add_command(ep.load())


add_plugin_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: every bad input becomes one line on stderr and exit status 2."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="pcemu", standalone_mode=False
        )
    except BadInput as exc:
        fail(str(exc))
    except click.UsageError as exc:
        hint = (
            f" (see pcemu {exc.ctx.info_name} --help)"
            if exc.ctx and exc.ctx.parent
            else " (see pcemu --help)"
        )
        fail(exc.format_message().replace("\n", " ") + hint)
    except click.ClickException as exc:
        fail(exc.format_message().replace("\n", " "))
    except click.exceptions.Abort:
        fail("aborted")
    except KeyboardInterrupt:
        fail("interrupted")
    except BrokenPipeError:
        sys.exit(exits.CLEAN)
    sys.exit(exits.CLEAN)


if __name__ == "__main__":
    main()
