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
is not a litmus test at all raises ``LitmusSyntaxError``, and so does one that is malformed
(an unclosed comment, an unknown ``Result:``, a condition naming a thread that does not exist).

Files are read only if they are regular files (a FIFO or a device is never opened for reading
in a way that could block or never end) and only up to ``MAX_FILE`` bytes.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from actors.litmus.conditions import parse_final
from actors.litmus.lexer import TYPE_WORDS, UNSUPPORTED_WORDS
from actors.litmus.statements import parse_thread
from actors.litmus.syntax import (
    Cond,
    LitmusSyntaxError,
    LitmusTest,
    Stop,
    Stopped,
    Thread,
    Unsupported,
    atoms,
    c_int,
    is_c_int,
)
from emulator.run.inputs import MiB, kind_of

MAX_FILE = 1 * MiB  # the kernel's litmus tests are about 1 KiB each
RESULTS = ("Never", "Sometimes", "Always", "DEADLOCK")  # what a Result: line may say
# Result: words of published tests that state no verdict to compare with: "Maybe" (the
# author was unsure, or it depends on the compiler) and "Flag" (herd7 flags the test, e.g.
# srcu-bad-nesting). Such a file is checked like one without a Result: line.
NO_VERDICT = ("Maybe", "Flag")


class LitmusFileError(LitmusSyntaxError):
    """The file cannot be read as a litmus test at all (not a regular file, too large,
    unreadable, not text). The message names the file."""


def not_regular(path: Path, mode: int) -> LitmusFileError:
    return LitmusFileError(
        f"{str(path)!r} is not a regular file (it is {kind_of(mode)}); "
        "give a regular .litmus file or a directory of them"
    )


def read_litmus(path: Path) -> str:
    """The text of the litmus file ``path``: a regular file of at most ``MAX_FILE`` bytes of
    UTF-8. Anything else (a FIFO, a device, a directory) is refused without being opened; the
    file is opened without blocking and checked again with fstat on what was opened (it may
    have been replaced meanwhile), so nothing but a regular file is ever read, and never past
    the bound."""
    fix = "give a .litmus file or a directory of them"
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise LitmusFileError(f"{str(path)!r} does not exist; {fix}") from None
    except OSError as exc:
        raise LitmusFileError(
            f"{str(path)!r} cannot be read ({exc.strerror or type(exc).__name__}); {fix}"
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode)
        if st.st_size > MAX_FILE:
            raise _too_large(path)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE:  # the file may grow while it is read: stop past the bound
            chunk = os.read(fd, MAX_FILE + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE:
            raise _too_large(path)
    except OSError as exc:
        raise LitmusFileError(
            f"{str(path)!r} cannot be read ({exc.strerror or type(exc).__name__}); {fix}"
        ) from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LitmusFileError(
            f"{str(path)!r} is not UTF-8 text (byte {exc.start}); give a C litmus test"
        ) from None


def _too_large(path: Path) -> LitmusFileError:
    return LitmusFileError(
        f"{str(path)!r} is larger than {MAX_FILE // MiB} MiB, the most a litmus test may be; "
        "give a litmus test (the kernel's are about 1 KiB)"
    )


_UNCLOSED = "unterminated (* comment; close it with *)"


_ML = re.compile(r"\(\*|\*\)")
_PRELUDE = re.compile(r"\(\*|\*\)|\{")
_BRACES = re.compile(r"//|/\*|[{}]")


def _strip_ml_comments(text: str) -> str:
    """Remove herd (* ... *) comments (nesting), keeping newlines."""
    out: list[str] = []
    depth = 0
    i = 0  # text before i is done
    for m in _ML.finditer(text):
        if m.group() == "(*":
            if depth == 0:
                out.append(text[i : m.start()])
                i = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append("\n" * text.count("\n", i, m.end()))
                i = m.end()
    if depth:
        raise LitmusSyntaxError(_UNCLOSED)
    out.append(text[i:])
    return "".join(out)


def _skip_prelude(text: str, pos: int) -> int:
    """Index of the initial-state block's '{' after the name line and herd comments."""
    depth = 0
    for m in _PRELUDE.finditer(text, pos):
        t = m.group()
        if t == "(*":
            depth += 1
        elif t == "*)":
            depth = max(depth - 1, 0)
        elif depth == 0:
            return m.start()
    if depth:
        raise LitmusSyntaxError(_UNCLOSED)
    raise LitmusSyntaxError("no initial-state block '{ ... }'")


def _match_brace(text: str, start: int) -> int:
    """Index just past the brace matching text[start] == '{', skipping C comments."""
    depth = 0
    i = start
    while True:
        m = _BRACES.search(text, i)
        if m is None:
            raise LitmusSyntaxError("unbalanced braces")
        t = m.group()
        if t == "//":
            j = text.find("\n", m.end())
            i = len(text) if j < 0 else j
        elif t == "/*":
            j = text.find("*/", m.end())
            if j < 0:
                raise LitmusSyntaxError("unterminated /* comment; close it with */")
            i = j + 2
        elif t == "{":
            depth += 1
            i = m.end()
        else:
            depth -= 1
            if depth == 0:
                return m.end()
            i = m.end()


_RESULT = re.compile(r"Result:\s*(\w+)")
_GAP = r"(?:\s|//[^\n]*|/\*.*?\*/)*"
_THREAD = re.compile(_GAP + r"P(\d+)\s*\(([^)]*)\)" + _GAP + r"\{", re.DOTALL)


def parse_file(path: Path, stop: Stop | None = None) -> LitmusTest:
    return parse(read_litmus(path), str(path), stop)


def parse(text: str, path: str = "<litmus>", stop: Stop | None = None) -> LitmusTest:
    """The litmus test in ``text``; ``stop`` is asked between threads and statements (a
    large file takes seconds) and raises ``Stopped`` when it says so."""
    head = re.match(r"\s*C\s+(\S+)", text)
    if head is None:
        raise LitmusSyntaxError("not a C litmus test (no 'C name' first line)")
    name = head.group(1)
    rm = _RESULT.search(text)
    result = rm.group(1) if rm else None
    if result is not None and result.lower() in {w.lower() for w in NO_VERDICT}:
        result = None
    if result is not None:
        known = {r.lower(): r for r in RESULTS}
        if result.lower() not in known:
            raise LitmusSyntaxError(
                f"'Result: {result}' is not a result; write Result: "
                f"{', '.join(RESULTS[:-1])} or {RESULTS[-1]}"
            )
    i = _skip_prelude(text, head.end())
    j = _match_brace(text, i)
    line = text.count("\n", 0, i) + 1
    init, reg_init = _parse_init(text[i + 1 : j - 1], line)
    threads: list[Thread] = []
    pos = j
    counted = i  # lines counted up to here (incrementally: many threads stay linear)
    while True:
        if stop is not None and stop():
            raise Stopped()
        m = _THREAD.match(text, pos)
        if m is None:
            break
        tid = int(m.group(1))
        if tid != len(threads):
            raise LitmusSyntaxError(f"thread P{tid} out of order (expected P{len(threads)})")
        params = _parse_params(m.group(2))
        open_at = m.end() - 1
        close = _match_brace(text, open_at)
        line += text.count("\n", counted, open_at)
        counted = open_at
        mine = frozenset(r for t, r in reg_init if t == tid)
        body = text[open_at + 1 : close - 1]
        threads.append(parse_thread(tid, params, body, line, stop, mine))
        pos = close
    if not threads:
        raise LitmusSyntaxError("no threads P0(...) { ... }")
    rest = _strip_ml_comments(text[pos:])
    quant, cond, filt, cond_text = parse_final(rest)
    n = len(threads)
    for where, tids in (
        ("the initial state", [t for t, _ in reg_init]),
        ("the filter", _tids(filt)),
        ("the final condition", _tids(cond)),
    ):
        bad = next((t for t in tids if t is not None and t >= n), None)
        if bad is not None:
            raise LitmusSyntaxError(
                f"{where} names thread {bad} ({bad}:...), but the test has threads "
                f"P0 to P{n - 1}; name one of them"
            )
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


def _tids(c: Cond | None) -> list[int | None]:
    """The threads whose registers a condition names (both sides of an atom)."""
    if c is None:
        return []
    return [w[0] for a in atoms(c) for w in ((a.tid, a.name), a.other) if w is not None]


def _value(text: str) -> int | str:
    t = text.strip()
    m = re.fullmatch(r"ATOMIC_INIT\s*\(\s*(-?\w+)\s*\)", t)
    if m:
        t = m.group(1)
    if t.startswith("&"):
        t = t[1:].strip()
    if is_c_int(t):
        return c_int(t)
    if re.fullmatch(r"[A-Za-z_]\w*", t):
        return t
    raise Unsupported(f"initial value {text.strip()!r}")


def _parse_init(
    block: str, line: int
) -> tuple[dict[str, int | str], dict[tuple[int, str], int | str]]:
    init: dict[str, int | str] = {}
    regs: dict[tuple[int, str], int | str] = {}
    # herd's (* *) comments may sit in the initial state too, between its items.
    block = _strip_c_comments(_strip_ml_comments(block))
    for item in block.split(";"):
        item = item.strip()
        if not item:
            continue
        lhs, eq, rhs = item.partition("=")
        lhs = lhs.strip()
        value: int | str = _value(rhs) if eq else 0
        # A register may be declared with its type: "int *1:r1 = x;", "int 0:r1;".
        m = re.fullmatch(r"(?:[A-Za-z_]\w*\s*|\*\s*)*?P?(\d+)\s*:\s*([A-Za-z_]\w*)", lhs)
        if m and any(w not in TYPE_WORDS for w in lhs[: m.start(1)].replace("*", " ").split()):
            m = None  # not a type before it
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


_COMMENT = re.compile(r"//|/\*")


def _strip_c_comments(text: str) -> str:
    """``text`` with // and /* */ comments blanked, in one pass."""
    out: list[str] = []
    i = 0
    while True:
        m = _COMMENT.search(text, i)
        if m is None:
            out.append(text[i:])
            return "".join(out)
        j = m.start()
        out.append(text[i:j] + " ")
        if text.startswith("//", j):
            k = text.find("\n", j)
            i = len(text) if k < 0 else k
        else:
            k = text.find("*/", j + 2)
            if k < 0:
                raise LitmusSyntaxError("unterminated /* comment in the initial state")
            i = k + 2


def _parse_params(text: str) -> tuple[str, ...]:
    out = []
    for p in text.split(","):
        p = p.strip()
        if not p:
            continue
        words = p.replace("*", " ").split()
        types = words[:-1]
        if types[:2] == ["struct", "srcu_struct"]:
            types = types[2:]  # an SRCU domain (the one structure a parameter may point to)
        for w in types:
            if w not in TYPE_WORDS:
                raise Unsupported(f"parameter type {w!r}")
        out.append(words[-1])
    return tuple(out)
