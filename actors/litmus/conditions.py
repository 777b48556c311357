"""The final part of a litmus file: ``locations``, ``filter`` and the ``exists`` / ``~exists`` /
``forall`` condition over ``N:rK`` registers and variables, with ``/\\``, ``\\/`` and ``~``."""

from __future__ import annotations

import re
from collections.abc import Callable

from actors.litmus.syntax import And, Atom, Cond, Const, LitmusSyntaxError, Not, Or, Unsupported

_COND_TOKEN = re.compile(
    r"\s*(?:(?P<and>/\\)|(?P<or>\\/)|(?P<neq>!=)|(?P<sym>[()~=:\[\];])"
    r"|(?P<word>-?[A-Za-z_0-9]+|&[A-Za-z_]\w*))"
)


def _cond_tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _COND_TOKEN.match(text, pos)
        if m is None:
            raise Unsupported(f"final condition syntax near {text[pos : pos + 20].strip()!r}")
        out.append(m.group().strip())
        pos = m.end()
    return out


class _CondParser:
    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def next(self) -> str:
        t = self.peek()
        self.i += 1
        return t

    def disj(self) -> Cond:
        return self._chain("\\/", self.conj, Or)

    def conj(self) -> Cond:
        return self._chain("/\\", self.neg, And)

    def _chain(
        self, sep: str, operand: Callable[[], Cond], make: Callable[[Cond, Cond], Cond]
    ) -> Cond:
        """``operand (sep operand)*``, grouped to the left."""
        left = operand()
        while self.peek() == sep:
            self.next()
            left = make(left, operand())
        return left

    def neg(self) -> Cond:
        if self.peek() in ("~", "not"):
            self.next()
            return Not(self.neg())
        if self.peek() == "(":
            self.next()
            c = self.disj()
            if self.next() != ")":
                raise LitmusSyntaxError("unbalanced parentheses in the final condition")
            return c
        if self.peek() in ("true", "false"):
            return Const(self.next() == "true")
        return self.atom()

    def atom(self) -> Cond:
        first = self.next()
        tid: int | None = None
        name = first
        if self.peek() == ":":
            self.next()
            m = re.fullmatch(r"P?(\d+)", first)
            if m is None:
                raise LitmusSyntaxError(f"bad thread in the final condition: {first!r}")
            tid = int(m.group(1))
            name = self.next()
        if not re.fullmatch(r"[A-Za-z_%]\w*", name):
            raise Unsupported(f"final-condition term {name!r}")
        op = self.next()
        if op not in ("=", "!="):
            raise Unsupported(f"final-condition operator {op!r}")
        raw = self.next().lstrip("&")
        if not raw:
            raise LitmusSyntaxError("final condition ends early")
        value: int | str = int(raw, 0) if re.fullmatch(r"-?\d+", raw) else raw
        return Atom(tid, name, value, negated=op == "!=")


def parse_final(rest: str) -> tuple[str, Cond, Cond | None, str]:
    text = rest.strip()
    filt: Cond | None = None
    m = re.match(r"locations\s*\[[^\]]*\]\s*", text)
    if m:
        text = text[m.end() :]
    m = re.match(r"filter\s*", text)
    if m:
        p = _CondParser(_cond_tokens(_balanced(text[m.end() :])))
        filt = p.disj()
        text = text[m.end() + len(_balanced(text[m.end() :])) :].strip()
    m = re.match(r"(~\s*exists|exists|forall)\s*", text)
    if m is None:
        word = text.split()[0] if text.split() else "nothing"
        if word in ("locations", "filter"):
            raise Unsupported(f"'{word}' after the condition")
        raise LitmusSyntaxError(f"expected exists, ~exists or forall, found {word!r}")
    quant = re.sub(r"\s+", "", m.group(1))
    body = text[m.end() :].strip()
    toks = _cond_tokens(body)
    p = _CondParser(toks)
    cond = p.disj()
    if p.i != len(toks):
        raise Unsupported(f"text after the final condition: {' '.join(toks[p.i :])!r}")
    return quant, cond, filt, " ".join(body.split())


def _balanced(text: str) -> str:
    """The leading parenthesised group of ``text`` (or the first line if none)."""
    text = text.lstrip()
    if not text.startswith("("):
        return text.split("\n", 1)[0]
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[: i + 1]
    raise LitmusSyntaxError("unbalanced parentheses in the filter")
