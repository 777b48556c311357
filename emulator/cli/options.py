"""Option declarations several commands share, so that each is declared once: an optional
path (``--log``, ``--trace``, ``-o/--out``), ``--force`` and ``-j/--jobs``. Each command still
says in its own help what the path or the processes are for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from emulator.cli.output import BoundedInt

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def path_option(*names: str, help: str, hidden: bool = False) -> Decorator:
    """An optional path (default: none given)."""
    return click.option(
        *names, type=click.Path(path_type=Path), default=None, hidden=hidden, help=help
    )


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
