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

Constructs outside the modelled subset raise ``Unsupported`` naming the construct; a file that
is not a litmus test at all raises ``LitmusSyntaxError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from actors.litmus.primitives import lower_call
from actors.litmus.syntax import (
    And,
    Assign,
    Atom,
    Binary,
    Call,
    Cond,
    Const,
    Expr,
    LitmusSyntaxError,
    LitmusTest,
    Name,
    Not,
    Num,
    Op,
    Or,
    Thread,
    Unary,
    Unsupported,
    regs_of,
)

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


# -- file structure ----------------------------------------------------------------------------
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
        threads.append(_parse_thread(tid, params, text[open_at + 1 : close - 1], line))
        pos = close
    if not threads:
        raise LitmusSyntaxError("no threads P0(...) { ... }")
    rest = _strip_ml_comments(text[pos:])
    quant, cond, filt, cond_text = _parse_final(rest)
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


# -- thread bodies -------------------------------------------------------------------------------
class _Parser:
    def __init__(self, toks: list[Tok], tid: int, params: tuple[str, ...], src_lines: list[str]):
        self.toks = toks
        self.i = 0
        self.tid = tid
        self.params = frozenset(params)
        self.registers: set[str] = set()
        self.ops: list[Op] = []
        self.src_lines = src_lines
        self.tmp = 0

    # token helpers
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> Tok:
        t = self.next()
        if t.text != text:
            raise LitmusSyntaxError(f"P{self.tid} line {t.line}: expected {text!r}, got {t.text!r}")
        return t

    def at(self, text: str) -> bool:
        return self.peek().text == text

    # statements
    def statements_until(self, end: str) -> list[int]:
        ids: list[int] = []
        while not self.at(end):
            if self.peek().kind == "eof":
                raise LitmusSyntaxError(f"P{self.tid}: missing {end!r}")
            ids.extend(self.statement())
        return ids

    def statement(self) -> list[int]:
        t = self.peek()
        if t.text == "{":
            self.next()
            ids = self.statements_until("}")
            self.expect("}")
            return ids
        if t.text == ";":
            self.next()
            return []
        if t.kind == "id" and t.text in UNSUPPORTED_WORDS:
            raise Unsupported(f"'{t.text}'")
        if t.text == "if":
            return self.if_statement()
        if t.kind == "id" and t.text in TYPE_WORDS:
            return self.declaration()
        line = t.line
        e = self.expression()
        self.expect(";")
        return self.lower_statement(e, line)

    def if_statement(self) -> list[int]:
        line = self.next().line
        self.expect("(")
        cond = self.expression()
        self.expect(")")
        pre: list[int] = []
        c = self.lower_expr(cond, pre, line)
        then = self.statement()
        orelse: list[int] = []
        if self.at("else"):
            self.next()
            orelse = self.statement()
        op = self.add("if", line, expr=c, then=tuple(then), orelse=tuple(orelse))
        return [*pre, op]

    def declaration(self) -> list[int]:
        line = self.peek().line
        while self.peek().kind == "id" and self.peek().text in TYPE_WORDS:
            self.next()
        ids: list[int] = []
        while True:
            while self.at("*"):
                self.next()
            t = self.next()
            if t.kind != "id":
                raise LitmusSyntaxError(f"P{self.tid} line {t.line}: bad declaration")
            if self.at("["):
                raise Unsupported("arrays")
            self.registers.add(t.text)
            if self.at("="):
                self.next()
                ids.extend(self.lower_statement(Assign(Name(t.text), self.assignment()), line))
            if self.at(","):
                self.next()
                continue
            self.expect(";")
            return ids

    # expressions (precedence climbing)
    BINARY = (
        ("||",),
        ("&&",),
        ("|",),
        ("^",),
        ("&",),
        ("==", "!="),
        ("<", "<=", ">", ">="),
        ("<<", ">>"),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def expression(self) -> Expr:
        e = self.assignment()
        if self.at(","):
            raise Unsupported("comma operator")
        return e

    def assignment(self) -> Expr:
        left = self.binary(0)
        t = self.peek()
        if t.text == "=":
            self.next()
            return Assign(left, self.assignment())
        if t.text in ("+=", "-=", "*=", "/=", "&=", "|=", "^=", "<<=", ">>="):
            raise Unsupported(f"compound assignment {t.text!r}")
        if t.text == "?":
            raise Unsupported("conditional operator '?:'")
        return left

    def binary(self, level: int) -> Expr:
        if level == len(self.BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek().text in self.BINARY[level] and self.peek().kind == "op":
            op = self.next().text
            left = Binary(op, left, self.binary(level + 1))
        return left

    def unary(self) -> Expr:
        t = self.peek()
        if t.text in ("-", "!", "~", "*", "&"):
            self.next()
            return Unary(t.text, self.unary())
        if t.text in ("++", "--"):
            raise Unsupported(f"'{t.text}'")
        if t.text == "+":
            self.next()
            return self.unary()
        if t.text == "(" and self.peek(1).kind == "id" and self.peek(1).text in TYPE_WORDS:
            self.next()  # a cast: (void), (int), (int *): the value is unchanged
            while not self.at(")"):
                if self.peek().kind == "eof":
                    raise LitmusSyntaxError(f"P{self.tid}: unterminated cast")
                self.next()
            self.next()
            return self.unary()
        if t.text == "(" and self.peek(1).text == "void":
            self.next()
            self.next()
            self.expect(")")
            return self.unary()
        return self.postfix()

    def postfix(self) -> Expr:
        e = self.primary()
        while True:
            t = self.peek()
            if t.text == "(":
                if not isinstance(e, Name):
                    raise Unsupported("call through a pointer")
                self.next()
                args: list[Expr] = []
                while not self.at(")"):
                    args.append(self.assignment())
                    if self.at(","):
                        self.next()
                self.next()
                e = Call(e.name, tuple(args))
            elif t.text in ("[", ".", "->"):
                raise Unsupported("arrays and structures")
            elif t.text in ("++", "--"):
                raise Unsupported(f"'{t.text}'")
            else:
                return e

    def primary(self) -> Expr:
        t = self.next()
        if t.kind == "num":
            return Num(int(t.text, 0))
        if t.kind == "id":
            if t.text in UNSUPPORTED_WORDS:
                raise Unsupported(f"'{t.text}'")
            return Name(t.text)
        if t.text == "(":
            e = self.assignment()
            self.expect(")")
            return e
        raise LitmusSyntaxError(f"P{self.tid} line {t.line}: unexpected {t.text!r}")

    # lowering: memory accesses become ops, in evaluation order
    def add(self, kind: str, line: int, **kw: object) -> int:
        oid = len(self.ops)
        text = self.src_lines[line - 1].strip() if 0 < line <= len(self.src_lines) else ""
        op = Op(id=oid, kind=kind, text=text, line=line, **kw)  # type: ignore[arg-type]
        self.ops.append(op)
        return oid

    def fresh(self) -> str:
        self.tmp += 1
        name = f"%t{self.tmp}"
        self.registers.add(name)
        return name

    def lower_statement(self, e: Expr, line: int) -> list[int]:
        ids: list[int] = []
        if isinstance(e, Assign):
            target = e.target
            if isinstance(target, Name):
                if target.name in self.params:
                    raise Unsupported(f"assignment to the parameter {target.name!r}")
                self.registers.add(target.name)
                v = e.value
                if isinstance(v, Call):
                    lower_call(self, v, target.name, ids, line)
                elif isinstance(v, Unary) and v.op == "*":
                    addr = self.lower_expr(v.arg, ids, line)
                    ids.append(self.add("load", line, dst=target.name, addr=addr))
                else:
                    ex = self.lower_expr(v, ids, line)
                    ids.append(self.add("local", line, dst=target.name, expr=ex))
                return ids
            if isinstance(target, Unary) and target.op == "*":
                addr = self.lower_expr(target.arg, ids, line)
                val = self.lower_expr(e.value, ids, line)
                ids.append(self.add("store", line, addr=addr, expr=val))
                return ids
            raise Unsupported("assignment to this kind of target")
        if isinstance(e, Call):
            lower_call(self, e, None, ids, line)
            return ids
        self.lower_expr(e, ids, line)  # an expression statement: keep its accesses
        return ids

    def lower_expr(self, e: Expr, ids: list[int], line: int) -> Expr:
        """A pure expression computing ``e``; its memory accesses are appended to ``ids``."""
        if isinstance(e, Num | Name):
            return e
        if isinstance(e, Unary):
            if e.op == "*":
                addr = self.lower_expr(e.arg, ids, line)
                t = self.fresh()
                ids.append(self.add("load", line, dst=t, addr=addr))
                return Name(t)
            if e.op == "&":
                if isinstance(e.arg, Name) and e.arg.name not in self.registers:
                    return Name(e.arg.name)
                if isinstance(e.arg, Unary) and e.arg.op == "*":
                    return self.lower_expr(e.arg.arg, ids, line)
                raise Unsupported("address of a register")
            return Unary(e.op, self.lower_expr(e.arg, ids, line))
        if isinstance(e, Binary):
            if e.op in ("&&", "||") and self._has_access(e.right):
                # Short-circuit evaluation of an access would need control flow.
                raise Unsupported(f"memory access on the right of '{e.op}'")
            left = self.lower_expr(e.left, ids, line)
            return Binary(e.op, left, self.lower_expr(e.right, ids, line))
        if isinstance(e, Call):
            t = self.fresh()
            lower_call(self, e, t, ids, line)
            return Name(t)
        raise Unsupported("assignment inside an expression")

    def _has_access(self, e: Expr) -> bool:
        if isinstance(e, Call):
            return True
        if isinstance(e, Unary):
            return e.op == "*" or self._has_access(e.arg)
        if isinstance(e, Binary):
            return self._has_access(e.left) or self._has_access(e.right)
        return False


def _parse_thread(tid: int, params: tuple[str, ...], body: str, line: int) -> Thread:
    toks = tokenize(body, line)
    src_lines = ("\n" * (line - 1) + body).split("\n")
    p = _Parser(toks, tid, params, src_lines)
    top = p.statements_until("")
    regs = frozenset(p.registers)
    ops = [_with_reads(op, regs) for op in p.ops]
    return Thread(tid=tid, params=params, ops=ops, body=tuple(top), registers=regs)


def _with_reads(op: Op, regs: frozenset[str]) -> Op:
    reads: frozenset[str] = frozenset()
    for e in (op.addr, op.expr, *op.args):
        if e is not None:
            reads |= regs_of(e, regs)
    from dataclasses import replace

    return replace(op, reads=reads)


# -- final condition -------------------------------------------------------------------------------
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
        left = self.conj()
        while self.peek() == "\\/":
            self.next()
            left = Or(left, self.conj())
        return left

    def conj(self) -> Cond:
        left = self.neg()
        while self.peek() == "/\\":
            self.next()
            left = And(left, self.neg())
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


def _parse_final(rest: str) -> tuple[str, Cond, Cond | None, str]:
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
