"""C expressions of a litmus thread body, by precedence climbing over the lexer's tokens.

The result is an unlowered ``Expr`` tree; ``statements.ThreadParser`` builds on this class and
lowers what it parses to ops. Operators outside the modelled subset (comma, ``?:``, compound
assignment, ``++``/``--``, arrays, structures, calls through pointers) raise ``Unsupported``.

Binary operators and assignment chains are parsed without recursion (operator precedence, one
stack), and every construct that does recurse (parentheses, unary operators and casts, call
arguments; blocks and ifs in ``statements``) counts one level of nesting: past ``MAX_NESTING``
the file is refused, so no input can exhaust the interpreter's stack. The trees built are at most
``MAX_DEPTH`` high (``shallow``), which bounds every recursive walk of them.
"""

from __future__ import annotations

from actors.litmus.lexer import TYPE_WORDS, UNSUPPORTED_WORDS, Tok
from actors.litmus.syntax import (
    MAX_DEPTH,
    MAX_NESTING,
    Assign,
    Binary,
    Call,
    Expr,
    LitmusSyntaxError,
    Name,
    Num,
    Unary,
    Unsupported,
    c_int,
    depth,
)


class ExprParser:
    """A cursor over one thread's tokens, and the expression grammar."""

    def __init__(self, toks: list[Tok], tid: int) -> None:
        self.toks = toks
        self.i = 0
        self.tid = tid
        self.nesting = 0

    # token helpers
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def enter(self) -> None:
        """One more level of nesting (a parenthesis, an operator, a block ...), refused past
        ``MAX_NESTING``; the caller leaves it (``self.nesting -= 1``) in a ``finally``."""
        if self.nesting >= MAX_NESTING:
            raise LitmusSyntaxError(
                f"P{self.tid} line {self.peek().line}: nesting deeper than {MAX_NESTING} "
                "(parentheses, unary operators, calls, blocks or ifs inside one another); "
                "simplify the code"
            )
        self.nesting += 1

    def shallow(self, e: Expr, line: int) -> Expr:
        """``e``, refused if its tree is higher than ``MAX_DEPTH`` (the lowering and the
        interpreter walk it recursively)."""
        if depth(e) > MAX_DEPTH:
            raise LitmusSyntaxError(
                f"P{self.tid} line {line}: expression nesting deeper than {MAX_DEPTH} "
                "(each operator of a chain is one level); split it into several statements"
            )
        return e

    def expect(self, text: str) -> Tok:
        t = self.next()
        if t.text != text:
            raise LitmusSyntaxError(f"P{self.tid} line {t.line}: expected {text!r}, got {t.text!r}")
        return t

    def at(self, text: str) -> bool:
        return self.peek().text == text

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

    PRECEDENCE = {op: level for level, ops in enumerate(BINARY) for op in ops}

    def assignment(self) -> Expr:
        """``a = b = ... = e`` (right-associative), parsed in a loop: a chain of any length
        costs no recursion (its tree height is checked by ``shallow``)."""
        targets: list[Expr] = []
        while True:
            left = self.binary()
            t = self.peek()
            if t.text == "=":
                self.next()
                targets.append(left)
                continue
            if t.text in ("+=", "-=", "*=", "/=", "&=", "|=", "^=", "<<=", ">>="):
                raise Unsupported(f"compound assignment {t.text!r}")
            if t.text == "?":
                raise Unsupported("conditional operator '?:'")
            break
        for target in reversed(targets):
            left = Assign(target, left)
        return left

    def binary(self) -> Expr:
        """Operands joined by binary operators, left-associative within a precedence level,
        built with an operator stack (no recursion however long the chain)."""
        operands = [self.unary()]
        ops: list[tuple[int, str]] = []

        def reduce() -> None:
            _, op = ops.pop()
            right = operands.pop()
            operands.append(Binary(op, operands.pop(), right))

        while self.peek().kind == "op" and self.peek().text in self.PRECEDENCE:
            op = self.next().text
            level = self.PRECEDENCE[op]
            while ops and ops[-1][0] >= level:
                reduce()
            ops.append((level, op))
            operands.append(self.unary())
        while ops:
            reduce()
        return operands[0]

    def unary(self) -> Expr:
        t = self.peek()
        if t.text in ("++", "--"):
            raise Unsupported(f"'{t.text}'")
        if t.text in ("-", "!", "~", "*", "&", "+") or (
            t.text == "(" and (self.peek(1).text in TYPE_WORDS or self.peek(1).text == "void")
        ):
            self.enter()
            try:
                return self._prefixed()
            finally:
                self.nesting -= 1
        return self.postfix()

    def _prefixed(self) -> Expr:
        t = self.peek()
        if t.text in ("-", "!", "~", "*", "&"):
            self.next()
            return Unary(t.text, self.unary())
        if t.text == "+":
            self.next()
            return self.unary()
        if t.text == "(" and self.peek(1).kind == "id" and self.peek(1).text in TYPE_WORDS:
            self.next()  # a cast: (void), (int), (void **): the value is unchanged
            while not self.at(")"):
                if self.peek().kind == "eof":
                    raise LitmusSyntaxError(f"P{self.tid}: unterminated cast")
                self.next()
            self.next()
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
                self.enter()
                try:
                    while not self.at(")"):
                        args.append(self.assignment())
                        if self.at(","):
                            self.next()
                finally:
                    self.nesting -= 1
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
            try:
                return Num(c_int(t.text))
            except LitmusSyntaxError as exc:
                raise LitmusSyntaxError(f"P{self.tid} line {t.line}: {exc}") from None
        if t.kind == "id":
            if t.text in UNSUPPORTED_WORDS:
                raise Unsupported(f"'{t.text}'")
            return Name(t.text)
        if t.text == "(":
            self.enter()
            try:
                e = self.assignment()
            finally:
                self.nesting -= 1
            self.expect(")")
            return e
        raise LitmusSyntaxError(f"P{self.tid} line {t.line}: unexpected {t.text!r}")
