"""Evaluating a lowered (pure) expression over a thread's registers.

A register holds a value and the dependency token of the loads it came from; an expression's
token is the join of its operands' tokens (the memory model's ``join``), so an access whose
address or value is computed from a load is ordered after it. A shared variable's name
evaluates to itself: it is that variable's address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from actors.litmus.syntax import Binary, Expr, Name, Num, Unary, Unsupported
from actors.memory.base import Value

Reg = tuple[Value, object]  # value and dependency token
Join = Callable[[object, object], object]


def evaluate(e: Expr, registers: frozenset[str], regs: Mapping[str, Reg], join: Join) -> Reg:
    """The value of ``e`` and its token; ``registers`` are the thread's register names (an
    unset register reads 0)."""
    if isinstance(e, Num):
        return e.value, None
    if isinstance(e, Name):
        if e.name in registers:
            return regs.get(e.name, (0, None))
        return e.name, None  # a shared variable's name is its address
    if isinstance(e, Unary):
        v, tok = evaluate(e.arg, registers, regs, join)
        if e.op == "-":
            return -_int(v, e), tok
        if e.op == "!":
            return int(not truth(v)), tok
        if e.op == "~":
            return ~_int(v, e), tok
        raise Unsupported(f"operator {e.op!r} here")
    if isinstance(e, Binary):
        a, ta = evaluate(e.left, registers, regs, join)
        b, tb = evaluate(e.right, registers, regs, join)
        return _binary(e.op, a, b), join(ta, tb)
    raise Unsupported(f"expression {e!r}")


def truth(v: Value) -> bool:
    return v != 0


def _int(v: Value, e: Expr) -> int:
    if not isinstance(v, int):
        raise Unsupported(f"arithmetic on the pointer {v!r}")
    return v


def _binary(op: str, a: Value, b: Value) -> Value:
    if op == "==":
        return int(a == b)
    if op == "!=":
        return int(a != b)
    if op == "&&":
        return int(truth(a) and truth(b))
    if op == "||":
        return int(truth(a) or truth(b))
    if not isinstance(a, int) or not isinstance(b, int):
        raise Unsupported(f"operator {op!r} on a pointer")
    if op in ("/", "%") and b == 0:
        raise Unsupported("division by zero")
    table = {
        "+": a + b,
        "-": a - b,
        "*": a * b,
        "/": int(a / b) if b else 0,
        "%": a - b * int(a / b) if b else 0,
        "&": a & b,
        "|": a | b,
        "^": a ^ b,
        "<<": a << b,
        ">>": a >> b,
        "<": int(a < b),
        "<=": int(a <= b),
        ">": int(a > b),
        ">=": int(a >= b),
    }
    return table[op]
