"""The user's surface: ``pcemu list | show | run | hunt | replay``, and the group every other
command joins. Exit status: see ``exits``. Bad input is always one line naming the bad value
and the fix; an error in scenario or model code is one ``emulator-error`` line; SIGINT/SIGTERM
stop at a clean point and say how far the command got.

The commands live in ``catalog_cmds`` (list, show), ``runs`` (run, replay) and ``hunt``;
shrink, explain, soak and findings are imported only when used (``lazy``)."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from emulator import __version__
from emulator.cli import exits
from emulator.cli.catalog_cmds import list_cmd, show
from emulator.cli.hunt import hunt
from emulator.cli.lazy import LazyCommand
from emulator.cli.lazy import debug as debug_cmds
from emulator.cli.lazy import search as search_cmds
from emulator.cli.lazy import soak as soak_cmds
from emulator.cli.output import (
    echo_err,
    reset_verbosity,
    verbosity,
    verbosity_options,
)
from emulator.cli.runs import replay, run
from emulator.errors import BadInput, Interrupted, ScenarioError
from emulator.run import interrupts


def fail(msg: str, status: int = exits.BAD, prefix: str = "error") -> NoReturn:
    echo_err(f"pcemu: {prefix}: {msg}")
    sys.exit(status)


class Cli(click.Group):
    """The group; commands of installed packages are looked up only when a name is not one of
    pcemu's own, or when all are listed (a run or a hunt needs none of them)."""

    _plugins = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and not self._plugins:
            self._add_plugins()
            cmd = super().get_command(ctx, cmd_name)
        return cmd

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugins()
        return super().list_commands(ctx)

    def _add_plugins(self) -> None:
        if not self._plugins:
            Cli._plugins = True
            add_plugin_commands()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `pcemu list | head`: the reader has what it wanted
            _quiet_stdout()
            sys.exit(exits.CLEAN)
        except KeyboardInterrupt:
            # A second SIGINT/SIGTERM (the first only sets a flag the command reads), or one
            # where no flag is set. Click would print a blank line before our one line.
            sig = interrupts.received() or signal.SIGINT
            raise Interrupted(sig, "pcemu: interrupted; nothing reported or saved") from None


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pcemu")
@verbosity_options
def cli() -> None:
    """pcemu: seeded, actor-based emulator of Linux page-cache concurrency."""


cli.add_command(list_cmd)
cli.add_command(show)
cli.add_command(run)
cli.add_command(hunt)
cli.add_command(replay)
cli.add_command(soak_cmds.soak)
cli.add_command(soak_cmds.findings)
cli.add_command(debug_cmds.shrink)
cli.add_command(debug_cmds.explain_cmd)
cli.add_command(search_cmds.verify)


# -- commands contributed by installed packages (pcemu litmus) ----------------------------------
def add_plugin_commands() -> None:
    """Commands registered under the ``pcemu.commands`` entry point group: this package never
    imports the domain packages that provide them, and imports each one only when it is used."""
    from emulator.run.entrypoints import entry_points, parts

    for name, value in sorted(entry_points("pcemu.commands"), key=lambda ep: ep[0]):
        cli.add_command(LazyCommand(name, *parts(value)))


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does
    not fail again (and turn a clean exit into status 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _usage_line(exc: click.UsageError) -> str:
    hint = (
        f" (see pcemu {exc.ctx.info_name} --help)"
        if exc.ctx and exc.ctx.parent
        else " (see pcemu --help)"
    )
    return exc.format_message().replace("\n", " ") + hint


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: every bad input becomes one line on stderr and exit status 2; an error in
    scenario or model code one ``emulator-error`` line and 2; a signal 128 + its number."""
    reset_verbosity()
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="pcemu", standalone_mode=False
        )
    except BadInput as exc:
        fail(str(exc))
    except ScenarioError as exc:
        if verbosity() > 0 and exc.detail:
            echo_err(exc.detail)
        fail(str(exc), prefix="emulator-error")
    except Interrupted as exc:
        echo_err(exc.progress or "pcemu: interrupted")
        sys.exit(interrupts.exit_status(exc.signum))
    except click.UsageError as exc:
        fail(_usage_line(exc))
    except click.ClickException as exc:
        fail(exc.format_message().replace("\n", " "))
    except click.exceptions.Abort:
        sig = interrupts.received()
        fail("interrupted", interrupts.exit_status(sig) if sig else 130)
    except (KeyboardInterrupt, BaseExceptionGroup) as exc:
        sig = interrupts.received()
        if isinstance(exc, KeyboardInterrupt) or sig is not None:
            echo_err("pcemu: interrupted; nothing reported or saved")
            sys.exit(interrupts.exit_status(sig or 2))
        internal(exc)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(exits.CLEAN)
    except SystemExit as exc:
        if exc.code in (None, exits.CLEAN):
            _clean_exit()
        raise
    except RecursionError as exc:
        internal(exc)
    except Exception as exc:
        internal(exc)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    _clean_exit()


def _clean_exit() -> NoReturn:
    """Exit 0, unless SIGINT or SIGTERM arrived while the command ran: a command that never
    reads the flag (show, list, explain, ...) ran to its end, but a shell loop around it must
    still see the signal (128 + its number), or Ctrl-C would not stop the loop."""
    sig = interrupts.received()
    if sig is not None:
        echo_err("pcemu: interrupted; the command had finished (its output is complete)")
        sys.exit(interrupts.exit_status(sig))
    sys.exit(exits.CLEAN)


def internal(exc: BaseException) -> NoReturn:
    """A bug in pcemu: still one line (the traceback with -v)."""
    if verbosity() > 0:
        echo_err("".join(traceback.format_exception(exc)).rstrip())
    msg = str(exc).splitlines()[0][:200] if str(exc) else ""
    fail(f"internal error {type(exc).__name__}: {msg} (a bug in pcemu; -v shows the traceback)")


if __name__ == "__main__":
    main()
