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

from emulator.errors import BadInput, cut

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
            raise BadInput(f"{flag} {cut(p)!r} is not KEY=VALUE; write e.g. {flag} {example}")
        k, v = p.split("=", 1)
        k = k.strip()
        if not k:
            raise BadInput(f"{flag} {cut(p)!r} has no KEY; write e.g. {flag} {example}")
        out[k] = v.strip()
    return out


def flag_name(param: click.Parameter | None, default: str = "value") -> str:
    """How a message names an option (``-o/--out``) or an argument (``FILE``)."""
    if param is None:
        return default
    if param.opts and param.opts[0].startswith("-"):
        return "/".join(param.opts)
    return param.human_readable_name.rstrip(".")


def _digits(text: str) -> bool:
    """Decimal digits Python's int() refuses only for their number (over 4,300)."""
    body = text.lstrip("+-")
    return body.isascii() and body.isdigit()


class BoundedInt(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """An integer lo <= x <= hi, refused in one line naming the flag, the value and the range
    (a value of thousands of digits is named by its length)."""

    name = "integer"

    def __init__(self, lo: int, hi: int, what: str = "") -> None:
        self.lo, self.hi, self.what = lo, hi, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        flag = self.what or flag_name(param)
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            text = str(value).strip()
            try:
                n = int(text, 10)
            except ValueError:
                if _digits(text):
                    raise BadInput(
                        f"{flag} {cut(text)} is out of range; give {self._range()}"
                    ) from None
                raise BadInput(
                    f"{flag} {cut(text)!r} is not an integer; give {self._range()}"
                ) from None
        if not self.lo <= n <= self.hi:
            if flag == "--seed" and n < 0:
                raise BadInput(f"seed {cut(str(n))} is negative; seeds are integers >= 0")
            raise BadInput(f"{flag} {cut(str(n))} is out of range; give {self._range()}")
        return n

    def _range(self) -> str:
        hi = "2**64 - 1" if self.hi == (1 << 64) - 1 else f"{self.hi:,}"
        return f"an integer {self.lo} to {hi}"


class Whole(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A whole number whose range the command checks in its own words (``soak --batch``);
    what is not one is refused as ``--batch 'abc' is not a whole number; give one such as
    --batch 50``, not in click's wording."""

    name = "integer"

    def __init__(self, example: int) -> None:
        self.example = example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text, 10)
        except ValueError:
            flag = flag_name(param)
            why = "has far too many digits" if _digits(text) else "is not a whole number"
            raise BadInput(
                f"{flag} {cut(text)!r} {why}; give one such as {flag} {self.example}"
            ) from None


class Number(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A number (``soak --watchdog 30``, ``--selfcheck 0.05``); its range is the command's to
    check. What is not one is refused in one line with an example, not in click's wording."""

    name = "number"

    def __init__(self, example: float) -> None:
        self.example = example

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float | int) and not isinstance(value, bool):
            return float(value)
        text = str(value).strip()
        try:
            return float(text)
        except ValueError:
            flag = flag_name(param)
            raise BadInput(
                f"{flag} {cut(text)!r} is not a number; give one such as {flag} {self.example:g}"
            ) from None


class OneOf(click.Choice):  # type: ignore[type-arg, unused-ignore]
    """One of a few words (``--model sc|tso|weak``). A word that is not one is refused as
    ``--model 'xx' is not a memory model; give sc, tso or weak``; ``what`` is the noun."""

    def __init__(self, choices: Sequence[str], what: str, case_sensitive: bool = True) -> None:
        super().__init__(list(choices), case_sensitive=case_sensitive)
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            words = [str(c) for c in self.choices]
            listed = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
            raise BadInput(
                f"{flag_name(param)} {cut(str(value))!r} is not {self.what}; give {listed}"
            ) from None


def echo_err(line: str) -> None:
    click.echo(line, err=True)
    sys.stderr.flush()
