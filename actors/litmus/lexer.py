"""Tokens of a litmus thread body (C), and the C words the parser knows or refuses.

``TYPE_WORDS`` are the type words a declaration, parameter, cast or initial-state item may use;
``UNSUPPORTED_WORDS`` are C keywords outside the modelled subset, reported as ``Unsupported``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.litmus.syntax import LitmusSyntaxError, Stop, Stopped, Unsupported

TYPE_WORDS = frozenset(
    [
        "int",
        "long",
        "short",
        "char",
        "unsigned",
        "signed",
        "bool",
        "_Bool",
        "void",
        "intptr_t",
        "uintptr_t",
        "size_t",
        "u8",
        "u16",
        "u32",
        "u64",
        "s8",
        "s16",
        "s32",
        "s64",
        "atomic_t",
        "atomic_long_t",
        "spinlock_t",
        "const",
        "volatile",
    ]
)
UNSUPPORTED_WORDS = frozenset(
    [
        "while",
        "for",
        "do",
        "switch",
        "case",
        "goto",
        "return",
        "break",
        "continue",
        "struct",
        "union",
        "enum",
        "typedef",
        "sizeof",
        "static",
        "extern",
    ]
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<num>\d\w*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op><<=|>>=|==|!=|<=|>=|&&|\|\||<<|>>|\+\+|--|\+=|-=|\*=|/=|&=|\|=|\^=|->
           |[{}()\[\];,*&=+\-!~<>|^%/?:.])
    """,
    re.VERBOSE | re.DOTALL,
)


C_ONLY = "\"'#\\"  # string and character literals, the preprocessor, line splices


@dataclass
class Tok:
    kind: str
    text: str
    line: int


def tokenize(src: str, line0: int, stop: Stop | None = None) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    line = line0
    while pos < len(src):
        if stop is not None and len(out) % 4096 == 0 and stop():
            raise Stopped()
        if src.startswith("/*", pos):  # found by hand: a regex would rescan an unclosed one
            end = src.find("*/", pos + 2)
            if end < 0:
                raise LitmusSyntaxError(f"line {line}: unterminated /* comment; close it with */")
            line += src.count("\n", pos, end)
            pos = end + 2
            continue
        m = _TOKEN.match(src, pos)
        if m is None:
            if src[pos] in C_ONLY:  # C, but not the subset modelled
                raise Unsupported(f"character {src[pos]!r} (line {line})")
            raise LitmusSyntaxError(
                f"line {line}: character {src[pos]!r} is not C; remove it or fix the text"
            )
        kind = m.lastgroup or ""
        text = m.group()
        if kind != "ws":
            out.append(Tok(kind, text, line))
        line += text.count("\n")
        pos = m.end()
    out.append(Tok("eof", "", line))
    return out
