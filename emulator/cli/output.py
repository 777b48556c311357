"""What every command shares: ``-q``/``-v``, JSON output, parsing KEY=VALUE pairs and bounded
integers, and the one-line answers to bad input.

``emit_json`` is the one way a command prints a result for scripts (``--json``): one JSON
document on standard output, keys sorted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from emulator.errors import BadInput

F = TypeVar("F", bound=Callable[..., Any])

# -1 quiet, 0 normal, 1 verbose (tracebacks of emulator errors on stderr)
_verbosity = [0]


def verbosity() -> int:
    return _verbosity[0]


def reset_verbosity() -> None:
    _verbosity[0] = 0


def _set_quiet(_ctx: click.Context, _p: click.Parameter, value: bool) -> None:
    if value:
        _verbosity[0] = -1


def _set_verbose(_ctx: click.Context, _p: click.Parameter, value: int) -> None:
    if value:
        _verbosity[0] = value


def verbosity_options(f: F) -> F:
    """``-q/--quiet`` (only the verdict) and ``-v/--verbose`` (tracebacks of emulator errors)."""
    f = click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        is_eager=True,
        callback=_set_verbose,
        help="more detail (the traceback of an emulator error)",
    )(f)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_quiet,
        help="print only the verdict",
    )(f)


def emit_json(obj: Any) -> None:
    """One JSON document on standard output (``--json`` of every command)."""
    click.echo(json.dumps(obj, sort_keys=True, indent=2, default=str))


def parse_pairs(pairs: Sequence[str], flag: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs:
        if "=" not in p:
            raise BadInput(f"{flag} {p!r} is not KEY=VALUE; write e.g. {flag} {example}")
        k, v = p.split("=", 1)
        k = k.strip()
        if not k:
            raise BadInput(f"{flag} {p!r} has no KEY; write e.g. {flag} {example}")
        out[k] = v.strip()
    return out


class BoundedInt(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """An integer lo <= x <= hi, refused in one line naming the flag, the value and the range
    (a value of thousands of digits is named by its length)."""

    name = "integer"

    def __init__(self, lo: int, hi: int, what: str = "") -> None:
        self.lo, self.hi, self.what = lo, hi, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            text = str(value).strip()
            shown = text if len(text) <= 30 else f"{text[:12]}... ({len(text)} characters)"
            flag = self.what or (param.opts[0] if param is not None and param.opts else "value")
            try:
                n = int(text, 10)
            except ValueError:
                if text.lstrip("+-").isdigit():
                    raise BadInput(
                        f"{flag} {shown} is out of range; give {self._range()}"
                    ) from None
                raise BadInput(
                    f"{flag} {shown!r} is not an integer; give {self._range()}"
                ) from None
        if not self.lo <= n <= self.hi:
            flag = self.what or (param.opts[0] if param is not None and param.opts else "value")
            shown_n = str(n) if len(str(n)) <= 30 else f"of {len(str(n))} digits"
            if flag == "--seed" and n < 0:
                raise BadInput(f"seed {n} is negative; seeds are integers >= 0")
            raise BadInput(f"{flag} {shown_n} is out of range; give {self._range()}")
        return n

    def _range(self) -> str:
        hi = "2**64 - 1" if self.hi == (1 << 64) - 1 else f"{self.hi:,}"
        return f"an integer {self.lo} to {hi}"


def echo_err(line: str) -> None:
    click.echo(line, err=True)
    sys.stderr.flush()
