"""The final part of a litmus file: ``locations``, ``filter`` and the ``exists`` / ``~exists`` /
``forall`` condition over ``N:rK`` registers and variables, with ``/\\``, ``\\/``, ``~`` and
``=>`` (herd7's precedence: ``~`` binds tightest, then ``=>``, ``/\\``, ``\\/``). An atom
compares a location with a value (``0:r1=1``, ``x=y``: x holds y's address) or, as herd7
allows, with another location (``0:r1=1:r1``, ``x=*y``, ``[x]=[y]``); ``==`` is ``=``.

A condition that is not well formed (cut short, a symbol where a term or value belongs, text
after it) is a ``LitmusSyntaxError``; a character the tokenizer does not know (an operator of
herd's that is not modelled) is ``Unsupported``. Parentheses and negations nest at most
``MAX_NESTING`` deep, and the tree is at most ``MAX_DEPTH`` high.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from actors.litmus.syntax import (
    MAX_DEPTH,
    MAX_NESTING,
    And,
    Atom,
    Cond,
    Const,
    LitmusSyntaxError,
    Not,
    Or,
    Unsupported,
    c_int,
    depth,
)

_COND_TOKEN = re.compile(
    r"\s*(?:(?P<and>/\\)|(?P<or>\\/)|(?P<neq>!=)|(?P<eq2>==)|(?P<imp>=>)|(?P<sym>[()~=:\[\];*])"
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


_NAME = re.compile(r"[A-Za-z_]\w*")


class _CondParser:
    def __init__(self, toks: list[str], what: str) -> None:
        self.toks = toks
        self.i = 0
        self.what = what  # "final condition" or "filter", for messages
        self.nesting = 0

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def next(self) -> str:
        t = self.peek()
        self.i += 1
        return t

    def bad(self, why: str) -> LitmusSyntaxError:
        return LitmusSyntaxError(f"{self.what}: {why}")

    def word(self, expected: str) -> str:
        """The next token, which must be a word (not a symbol, not the end)."""
        t = self.next()
        if not t:
            raise self.bad(f"ends early, where {expected} belongs; complete it (e.g. 0:r0=1)")
        if not (t[0].isalnum() or t[0] in "_-&"):
            raise self.bad(f"expected {expected}, found {t!r}; fix the {self.what}")
        return t

    def whole(self) -> Cond:
        """The condition, which must use every token and stay within the limits."""
        c = self.disj()
        if self.i < len(self.toks):
            rest = " ".join(self.toks[self.i :])
            raise self.bad(f"unexpected text {rest[:60]!r} after the end; remove it")
        if depth(c) > MAX_DEPTH:
            raise self.bad(
                f"nesting deeper than {MAX_DEPTH} (each /\\ or \\/ of a chain is one level); "
                "simplify it"
            )
        return c

    def disj(self) -> Cond:
        return self._chain("\\/", self.conj, Or)

    def conj(self) -> Cond:
        return self._chain("/\\", self.implies, And)

    def implies(self) -> Cond:
        """``a => b`` (right-associative) is ``~a \\/ b``."""
        left = self.neg()
        if self.peek() != "=>":
            return left
        self.next()
        if self.nesting >= MAX_NESTING:
            raise self.bad(f"implications nested deeper than {MAX_NESTING}; simplify it")
        self.nesting += 1
        try:
            return Or(Not(left), self.implies())
        finally:
            self.nesting -= 1

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
        if self.peek() in ("~", "not", "("):
            if self.nesting >= MAX_NESTING:
                raise self.bad(
                    f"nesting deeper than {MAX_NESTING} (parentheses or negations inside one "
                    "another); simplify it"
                )
            self.nesting += 1
            try:
                return self._nested()
            finally:
                self.nesting -= 1
        if self.peek() in ("true", "false"):
            return Const(self.next() == "true")
        return self.atom()

    def _nested(self) -> Cond:
        if self.next() != "(":
            return Not(self.neg())
        c = self.disj()
        t = self.next()
        if t != ")":
            raise self.bad(
                "ends early, where ')' belongs; complete it"
                if not t
                else f"expected ')', found {t!r}; balance the parentheses"
            )
        return c

    def location(self) -> tuple[int | None, str]:
        """``N:rK``, a variable, or ``[variable]`` (its contents, as herd7 writes it)."""
        if self.peek() == "[":
            self.next()
            name = self.word("a variable")
            if not _NAME.fullmatch(name) or self.next() != "]":
                raise self.bad(f"expected [variable], found [{name}...; write [x]")
            return None, name
        first = self.word("a register (N:rK) or a variable")
        tid: int | None = None
        name = first
        if self.peek() == ":":
            self.next()
            m = re.fullmatch(r"P?(\d+)", first)
            if m is None:
                raise self.bad(f"bad thread {first!r}; name registers as 0:r0, 1:r1, ...")
            tid = int(m.group(1))
            name = self.word("a register name")
        if not _NAME.fullmatch(name):
            raise self.bad(
                f"expected a register (N:rK) or a variable, found {name!r}; fix the {self.what}"
            )
        return tid, name

    def _other_location(self) -> tuple[int | None, str] | None:
        """The right side of ``=`` when it is a location (herd7: ``N:rK``, ``*x``, ``[x]``);
        None when it is a value (a number, or a bare name: that variable's address)."""
        t = self.peek()
        if t == "*":
            self.next()
            return self.location()
        if t == "[" or (self.i + 1 < len(self.toks) and self.toks[self.i + 1] == ":"):
            return self.location()
        return None

    def atom(self) -> Cond:
        tid, name = self.location()
        op = self.next()
        if not op:
            raise self.bad(f"ends early after {name!r}, where '=' belongs; complete it")
        if op == "[":
            raise Unsupported("arrays in the final condition")
        if op not in ("=", "==", "!="):
            raise self.bad(f"expected '=' or '!=' after {name!r}, found {op!r}; write {name}=VALUE")
        other = self._other_location()
        if other is not None:
            return Atom(tid, name, 0, negated=op == "!=", other=other)
        raw = self.word("a value").removeprefix("&")
        value: int | str
        if raw[:1].isdigit() or raw[:1] == "-":
            try:
                value = c_int(raw)
            except LitmusSyntaxError as exc:
                raise self.bad(str(exc)) from None
        elif _NAME.fullmatch(raw):
            value = raw
        else:
            raise self.bad(f"bad value {raw!r}; give an integer or a variable's name")
        return Atom(tid, name, value, negated=op == "!=")


def parse_final(rest: str) -> tuple[str, Cond, Cond | None, str]:
    text = rest.strip()
    filt: Cond | None = None
    m = re.match(r"locations\s*\[[^\]]*\]\s*", text)
    if m:
        text = text[m.end() :]
    elif re.match(r"locations\b", text):
        raise LitmusSyntaxError("unterminated 'locations [...]'; close it with ']'")
    m = re.match(r"filter\b\s*", text)
    if m:
        group = _balanced(text[m.end() :])
        filt = _CondParser(_cond_tokens(group), "filter").whole()
        text = text[m.end() + len(group) :].strip()
    m = re.match(r"(~\s*exists|exists|forall)\s*", text)
    if m is None:
        word = text.split()[0] if text.split() else "nothing"
        if word in ("locations", "filter"):
            raise Unsupported(f"'{word}' after the condition")
        raise LitmusSyntaxError(f"expected exists, ~exists or forall, found {word!r}")
    quant = re.sub(r"\s+", "", m.group(1))
    body = text[m.end() :].strip()
    if body.endswith(";"):  # herd7 takes "exists (...);" too
        body = body[:-1].rstrip()
    cond = _CondParser(_cond_tokens(body), "final condition").whole()
    return quant, cond, filt, " ".join(body.split())


def _balanced(text: str) -> str:
    """The leading parenthesised group of ``text`` (or the first line if none)."""
    text = text.lstrip()
    if not text.startswith("("):
        return text.split("\n", 1)[0]
    level = 0
    for i, ch in enumerate(text):
        if ch == "(":
            level += 1
        elif ch == ")":
            level -= 1
            if level == 0:
                return text[: i + 1]
    raise LitmusSyntaxError("filter: unbalanced parentheses; close every '('")
