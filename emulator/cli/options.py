"""Option declarations several commands share, so that each is declared once: an optional path
(``--log``, ``--trace``, ``-o/--out``) and ``--force``. Each command still says in its own
help what the path is for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

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
