"""C expressions of a litmus thread body, by precedence climbing over the lexer's tokens.

The result is an unlowered ``Expr`` tree; ``statements.ThreadParser`` builds on this class and
lowers what it parses to ops. Operators outside the modelled subset (comma, ``?:``, compound
assignment, ``++``/``--``, arrays, structures, calls through pointers) raise ``Unsupported``.
"""

from __future__ import annotations

from actors.litmus.lexer import TYPE_WORDS, UNSUPPORTED_WORDS, Tok
from actors.litmus.syntax import (
    Assign,
    Binary,
    Call,
    Expr,
    LitmusSyntaxError,
    Name,
    Num,
    Unary,
    Unsupported,
)


class ExprParser:
    """A cursor over one thread's tokens, and the expression grammar."""

    def __init__(self, toks: list[Tok], tid: int) -> None:
        self.toks = toks
        self.i = 0
        self.tid = tid

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
