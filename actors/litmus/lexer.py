"""Tokens of a litmus thread body (C), and the C words the parser knows or refuses.

``TYPE_WORDS`` are the type words a declaration, parameter, cast or initial-state item may use;
``UNSUPPORTED_WORDS`` are C keywords outside the modelled subset, reported as ``Unsupported``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.litmus.syntax import Unsupported

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
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<num>0[xX][0-9a-fA-F]+|\d+)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op><<=|>>=|==|!=|<=|>=|&&|\|\||<<|>>|\+\+|--|\+=|-=|\*=|/=|&=|\|=|\^=|->
           |[{}()\[\];,*&=+\-!~<>|^%/?:.])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Tok:
    kind: str
    text: str
    line: int


def tokenize(src: str, line0: int) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    line = line0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            raise Unsupported(f"character {src[pos]!r} (line {line})")
        kind = m.lastgroup or ""
        text = m.group()
        if kind != "ws":
            out.append(Tok(kind, text, line))
        line += text.count("\n")
        pos = m.end()
    out.append(Tok("eof", "", line))
    return out
