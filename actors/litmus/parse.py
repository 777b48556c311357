"""A parser for the kernel's C litmus format (herd7's C dialect, as in
tools/memory-model/litmus-tests/).

    C name
    (* comment: Result: Never *)
    { x=1; y=z; int *p = &x; atomic_t v = ATOMIC_INIT(1); 0:r1=0; }
    P0(int *x, atomic_t *v, spinlock_t *l) { int r0; r0 = READ_ONCE(*x); ... }
    ...
    locations [x; 0:r0]
    filter (0:r0=1)
    exists (0:r0=1 /\\ ~(x=2 \\/ 1:r1=0))

This module reads the file's structure (name, ``Result:`` comment, initial state, thread
headers) and hands each thread body to ``statements`` and the rest to ``conditions``.

Constructs outside the modelled subset raise ``Unsupported`` naming the construct; a file that
is not a litmus test at all raises ``LitmusSyntaxError``.
"""

from __future__ import annotations

import re
from pathlib import Path

from actors.litmus.conditions import parse_final
from actors.litmus.lexer import TYPE_WORDS, UNSUPPORTED_WORDS
from actors.litmus.statements import parse_thread
from actors.litmus.syntax import LitmusSyntaxError, LitmusTest, Thread, Unsupported


def _strip_ml_comments(text: str) -> str:
    """Remove herd (* ... *) comments (nesting), keeping newlines."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        if text.startswith("(*", i):
            depth += 1
            i += 2
            continue
        if depth and text.startswith("*)", i):
            depth -= 1
            i += 2
            continue
        ch = text[i]
        if depth == 0 or ch == "\n":
            out.append(ch)
        i += 1
    return "".join(out)


def _skip_prelude(text: str, pos: int) -> int:
    """Index of the initial-state block's '{' after the name line and herd comments."""
    depth = 0
    while pos < len(text):
        if text.startswith("(*", pos):
            depth += 1
            pos += 2
        elif depth and text.startswith("*)", pos):
            depth -= 1
            pos += 2
        elif depth == 0 and text[pos] == "{":
            return pos
        else:
            pos += 1
    raise LitmusSyntaxError("no initial-state block '{ ... }'")


def _match_brace(text: str, start: int) -> int:
    """Index just past the brace matching text[start] == '{', skipping C comments."""
    depth = 0
    i = start
    while i < len(text):
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = len(text) if j < 0 else j + 2
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise LitmusSyntaxError("unbalanced braces")


_RESULT = re.compile(r"Result:\s*(\w+)")
_GAP = r"(?:\s|//[^\n]*|/\*.*?\*/)*"
_THREAD = re.compile(_GAP + r"P(\d+)\s*\(([^)]*)\)" + _GAP + r"\{", re.DOTALL)


def parse_file(path: Path) -> LitmusTest:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise LitmusSyntaxError(f"cannot read {str(path)!r}: {exc}") from None
    return parse(text, str(path))


def parse(text: str, path: str = "<litmus>") -> LitmusTest:
    head = re.match(r"\s*C\s+(\S+)", text)
    if head is None:
        raise LitmusSyntaxError("not a C litmus test (no 'C name' first line)")
    name = head.group(1)
    rm = _RESULT.search(text)
    result = rm.group(1) if rm else None
    i = _skip_prelude(text, head.end())
    j = _match_brace(text, i)
    init, reg_init = _parse_init(text[i + 1 : j - 1], text.count("\n", 0, i) + 1)
    threads: list[Thread] = []
    pos = j
    while True:
        m = _THREAD.match(text, pos)
        if m is None:
            break
        tid = int(m.group(1))
        if tid != len(threads):
            raise LitmusSyntaxError(f"thread P{tid} out of order (expected P{len(threads)})")
        params = _parse_params(m.group(2))
        open_at = m.end() - 1
        close = _match_brace(text, open_at)
        line = text.count("\n", 0, open_at) + 1
        threads.append(parse_thread(tid, params, text[open_at + 1 : close - 1], line))
        pos = close
    if not threads:
        raise LitmusSyntaxError("no threads P0(...) { ... }")
    rest = _strip_ml_comments(text[pos:])
    quant, cond, filt, cond_text = parse_final(rest)
    variables = sorted({p for t in threads for p in t.params} | set(init))
    return LitmusTest(
        name=name,
        path=path,
        result=result,
        init=init,
        reg_init=reg_init,
        threads=threads,
        quantifier=quant,
        cond=cond,
        filter=filt,
        cond_text=cond_text,
        variables=variables,
    )


def _value(text: str) -> int | str:
    t = text.strip()
    m = re.fullmatch(r"ATOMIC_INIT\s*\(\s*(-?\w+)\s*\)", t)
    if m:
        t = m.group(1)
    if t.startswith("&"):
        t = t[1:].strip()
    if re.fullmatch(r"-?(0[xX][0-9a-fA-F]+|\d+)", t):
        return int(t, 0)
    if re.fullmatch(r"[A-Za-z_]\w*", t):
        return t
    raise Unsupported(f"initial value {text.strip()!r}")


def _parse_init(
    block: str, line: int
) -> tuple[dict[str, int | str], dict[tuple[int, str], int | str]]:
    init: dict[str, int | str] = {}
    regs: dict[tuple[int, str], int | str] = {}
    block = re.sub(r"//[^\n]*|/\*.*?\*/", " ", block, flags=re.DOTALL)
    for item in block.split(";"):
        item = item.strip()
        if not item:
            continue
        lhs, eq, rhs = item.partition("=")
        lhs = lhs.strip()
        value: int | str = _value(rhs) if eq else 0
        m = re.fullmatch(r"P?(\d+)\s*:\s*([A-Za-z_]\w*)", lhs)
        if m:
            regs[(int(m.group(1)), m.group(2))] = value
            continue
        words = lhs.replace("*", " ").split()
        if not words:
            raise LitmusSyntaxError(f"bad initial-state item {item!r}")
        for w in words[:-1]:
            if w in UNSUPPORTED_WORDS or w not in TYPE_WORDS:
                raise Unsupported(f"type {w!r} in the initial state")
        var = words[-1]
        if "[" in var or not re.fullmatch(r"[A-Za-z_]\w*", var):
            raise Unsupported(f"initial-state item {item!r}")
        init[var] = value
    return init, regs


def _parse_params(text: str) -> tuple[str, ...]:
    out = []
    for p in text.split(","):
        p = p.strip()
        if not p:
            continue
        words = p.replace("*", " ").split()
        for w in words[:-1]:
            if w not in TYPE_WORDS:
                raise Unsupported(f"parameter type {w!r}")
        out.append(words[-1])
    return tuple(out)
