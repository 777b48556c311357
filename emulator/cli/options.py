"""Option declarations several commands share, so that each is declared once: an optional
path (``--log``, ``--trace``, ``-o/--out``), ``--force`` and ``-j/--jobs``. Each command still
says in its own help what the path or the processes are for."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from emulator.cli.output import BoundedInt, flag_name
from emulator.errors import BadInput, cut

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class PathArg(click.Path):
    """A path, as ``click.Path(path_type=Path)``, that refuses the empty string and a name too
    long for the file system. ``Path("")`` is ``.``: an empty ``--out`` or ``--witness-dir``
    (an unset shell variable) wrote into the current directory, an empty ``--log`` was "a
    directory", an empty soak directory read the current one as a store."""

    def __init__(self) -> None:
        super().__init__(path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            if value == "":
                raise BadInput(f"{_flag(param)} is an empty path; give a file or directory name")
            try:
                os.stat(value)
            except OSError as exc:
                # Every other reason is the command's to name (it knows what the path is for);
                # this one made each command's own checks raise out of Path.exists().
                if exc.errno == errno.ENAMETOOLONG:
                    raise BadInput(
                        f"{_flag(param)} {cut(value)!r} is too long a path for the file system "
                        "(a name at most 255 bytes, a path 4,095); give a shorter one"
                    ) from None
            except ValueError:  # an embedded NUL: the command names it
                pass
        return super().convert(value, param, ctx)


def _flag(param: click.Parameter | None) -> str:
    return flag_name(param, "path")


PATH = PathArg()


def path_option(*names: str, help: str, hidden: bool = False) -> Decorator:
    """An optional path (default: none given)."""
    return click.option(*names, type=PATH, default=None, hidden=hidden, help=help)


def log_trace_options(log_help: str, trace_help: str) -> Decorator:
    """``--log`` (the JSON-lines run log) and ``--trace`` (the trace file) of a run."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = path_option("--trace", "trace", help=trace_help)(f)
        return path_option("--log", "log", help=log_help)(f)

    return decorate


def force_option(verb: str) -> Decorator:
    """``--force``: read a recording another pcemu version wrote."""
    return click.option(
        "--force", is_flag=True, help=f"{verb} a file written by another pcemu version"
    )


def jobs_option(help: str) -> Decorator:
    """``-j/--jobs``: worker processes (1: this process alone)."""
    return click.option(
        "-j",
        "--jobs",
        type=BoundedInt(1, 256, "-j/--jobs"),
        default=1,
        show_default=True,
        help=help,
    )
