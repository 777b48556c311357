"""Statements of a litmus thread body, lowered to ops as they are parsed.

Every memory access becomes one op, in C evaluation order (``primitives.lower_call`` handles the
kernel primitives); register arithmetic becomes ``local`` ops and ``if`` an op holding the ids of
its branches. ``parse_thread`` returns the lowered ``Thread``.
"""

from __future__ import annotations

from dataclasses import replace

from actors.litmus.expressions import ExprParser
from actors.litmus.lexer import TYPE_WORDS, UNSUPPORTED_WORDS, Tok, tokenize
from actors.litmus.primitives import lower_call
from actors.litmus.syntax import (
    Assign,
    Binary,
    Call,
    Expr,
    LitmusSyntaxError,
    Name,
    Num,
    Op,
    Stop,
    Stopped,
    Thread,
    Unary,
    Unsupported,
    regs_of,
)

TEXT_MAX = 200  # characters of a source line kept as an op's description


class ThreadParser(ExprParser):
    """Parses one thread body and collects its ops and registers."""

    def __init__(
        self,
        toks: list[Tok],
        tid: int,
        params: tuple[str, ...],
        src_lines: list[str],
        first_line: int = 1,
        stop: Stop | None = None,
    ):
        super().__init__(toks, tid)
        self.params = frozenset(params)
        self.registers: set[str] = set()
        self.ops: list[Op] = []
        self.src_lines = src_lines  # from line first_line on
        self.first_line = first_line
        self.stop = stop
        self.texts: dict[int, str] = {}
        self.tmp = 0

    # statements
    def statements_until(self, end: str) -> list[int]:
        ids: list[int] = []
        while not self.at(end):
            if self.stop is not None and self.stop():
                raise Stopped()
            if self.peek().kind == "eof":
                raise LitmusSyntaxError(f"P{self.tid}: missing {end!r}")
            ids.extend(self.statement())
        return ids

    def statement(self) -> list[int]:
        t = self.peek()
        if t.text == "{":
            self.enter()
            try:
                return self.block()
            finally:
                self.nesting -= 1
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

    def block(self) -> list[int]:
        """``{ statements }``; the caller counts its level of nesting."""
        self.expect("{")
        ids = self.statements_until("}")
        self.expect("}")
        return ids

    def if_statement(self) -> list[int]:
        line = self.next().line
        self.expect("(")
        cond = self.shallow(self.expression(), line)
        self.expect(")")
        pre: list[int] = []
        c = self.lower_expr(cond, pre, line)
        self.enter()  # one level for the if, its block included
        try:
            then = self.block() if self.at("{") else self.statement()
            orelse: list[int] = []
            if self.at("else"):
                self.next()
                orelse = self.block() if self.at("{") else self.statement()
        finally:
            self.nesting -= 1
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

    # lowering: memory accesses become ops, in evaluation order
    def add(self, kind: str, line: int, **kw: object) -> int:
        oid = len(self.ops)
        op = Op(id=oid, kind=kind, text=self.line_text(line), line=line, **kw)  # type: ignore[arg-type]
        self.ops.append(op)
        return oid

    def line_text(self, line: int) -> str:
        """Source line ``line``, stripped and cut to ``TEXT_MAX`` (an op's description, not the
        whole of a thread written on one line), once per line."""
        text = self.texts.get(line)
        if text is None:
            i = line - self.first_line
            raw = self.src_lines[i] if 0 <= i < len(self.src_lines) else ""
            text = raw.strip()
            if len(text) > TEXT_MAX:
                text = text[: TEXT_MAX - 3] + "..."
            self.texts[line] = text
        return text

    def fresh(self) -> str:
        self.tmp += 1
        name = f"%t{self.tmp}"
        self.registers.add(name)
        return name

    def lower_statement(self, e: Expr, line: int) -> list[int]:
        self.shallow(e, line)
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


def parse_thread(
    tid: int,
    params: tuple[str, ...],
    body: str,
    line: int,
    stop: Stop | None = None,
    initialised: frozenset[str] = frozenset(),
) -> Thread:
    """Thread ``tid``, whose body (between its braces) starts on line ``line``;
    ``initialised``: its registers the initial state gives a value (``0:r1 = z;``), which are
    registers even if the body never declares or assigns them."""
    try:
        toks = tokenize(body, line, stop)
    except LitmusSyntaxError as exc:
        raise LitmusSyntaxError(f"P{tid} {exc}") from None
    p = ThreadParser(toks, tid, params, body.split("\n"), line, stop)
    p.registers.update(initialised)
    top = p.statements_until("")
    regs = frozenset(p.registers)
    ops = [_with_reads(op, regs) for op in p.ops]
    return Thread(tid=tid, params=params, ops=ops, body=tuple(top), registers=regs)


def _with_reads(op: Op, regs: frozenset[str]) -> Op:
    reads: frozenset[str] = frozenset()
    for e in (op.addr, op.expr, *op.args):
        if e is not None:
            reads |= regs_of(e, regs)
    return replace(op, reads=reads)
