"""Syntax of a C litmus test: expressions, conditions, and the lowered per-thread program.

A thread is lowered to *ops*: every memory access becomes exactly one op (one step of the
thread's actor); register arithmetic and ``if`` stay local. Op ids index the thread's op table,
so a thread's remaining program is a tuple of ints (hashable, cheap to digest).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Limits of what the checker reads: a litmus test is a few dozen lines; these keep a hostile or
# generated file from exhausting the stack, the memory or the word size.
MAX_NESTING = 64  # parentheses, unary operators, calls, blocks and ifs inside one another
MAX_DEPTH = 256  # height of one expression or condition tree (a chain of operators included)
BITS = 64  # values are the kernel's 64-bit two's complement words (long, s64)


class Unsupported(Exception):
    """The test uses a construct the checker does not model: the test is "unsupported"."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


class LitmusSyntaxError(Exception):
    """The file is not a C litmus test, or one this checker refuses (over a limit, undefined
    behaviour in C): bad input, not an unsupported construct. The message says where and why."""


class Stopped(Exception):
    """The check was asked to stop (SIGINT or SIGTERM): raised between statements while
    parsing, and between steps while exploring."""


Stop = Callable[[], bool]  # asked often: True once the check should stop


class Undefined(LitmusSyntaxError):
    """Arithmetic whose result C leaves undefined (a shift by a negative count or by 64 or more,
    division by zero); raised by ``evaluate`` without a location, which the interpreter adds."""


def wrap(v: int) -> int:
    """``v`` as a 64-bit two's complement word holds it (what the kernel's long and s64 do)."""
    v &= (1 << BITS) - 1
    return v - (1 << BITS) if v >> (BITS - 1) else v


_C_INT = re.compile(r"(-?)\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[uUlL]*")


def c_int(text: str) -> int:
    """A C integer constant (decimal, octal, hex; ``u``/``l`` suffixes), as a 64-bit word."""
    m = _C_INT.fullmatch(text.strip())
    if m is None:
        raise LitmusSyntaxError(
            f"bad integer constant {text.strip()!r}; write a decimal, octal (0...) or hex "
            "(0x...) number"
        )
    digits = m.group(2)
    base = 16 if digits[:2] in ("0x", "0X") else 8 if digits.startswith("0") else 10
    v = int(digits, base)
    if v >= 1 << BITS:
        raise LitmusSyntaxError(
            f"integer constant {text.strip()!r} does not fit in {BITS} bits; use a smaller value"
        )
    return wrap(-v if m.group(1) else v)


def is_c_int(text: str) -> bool:
    return _C_INT.fullmatch(text.strip()) is not None


# -- expressions (pure: no memory access once lowered) -------------------------------------------
@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "!", "~", "*" (deref, before lowering), "&"
    arg: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Assign:
    target: Expr
    value: Expr


Expr = Num | Name | Unary | Binary | Call | Assign


def regs_of(e: Expr, registers: frozenset[str]) -> frozenset[str]:
    """The registers an expression reads."""
    if isinstance(e, Name):
        return frozenset((e.name,)) if e.name in registers else frozenset()
    if isinstance(e, Num):
        return frozenset()
    if isinstance(e, Unary):
        return regs_of(e.arg, registers)
    if isinstance(e, Binary):
        return regs_of(e.left, registers) | regs_of(e.right, registers)
    if isinstance(e, Call):
        out: frozenset[str] = frozenset()
        for a in e.args:
            out |= regs_of(a, registers)
        return out
    return regs_of(e.target, registers) | regs_of(e.value, registers)


# -- lowered ops -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One lowered statement. ``kind``:

    - ``local``: ``dst = expr``
    - ``if``: ``expr`` is the condition; ``then`` / ``orelse`` are op ids
    - ``load``: ``dst = *addr`` with ``order`` once|acquire
    - ``store``: ``*addr = expr`` with ``order`` once|release
    - ``fence``: ``order`` is the fence kind (mb, rmb, wmb, before_atomic, ...)
    - ``rmw``: ``dst = fn(addr, args...)``; ``order`` full|acquire|release|relaxed; ``void``
    - ``lock``, ``unlock``, ``trylock`` (dst), ``islocked`` (dst)
    - ``rcu_lock``, ``rcu_unlock``, ``gp_start``, ``gp_end``; with ``addr``, of the SRCU domain
      of that srcu_struct (``rcu_lock`` then has a ``dst``: srcu_read_lock's index)
    """

    id: int
    kind: str
    text: str  # the source statement, for descriptions
    line: int
    dst: str | None = None
    addr: Expr | None = None
    expr: Expr | None = None
    order: str = "once"
    fn: str = ""
    args: tuple[Expr, ...] = ()
    void: bool = False
    then: tuple[int, ...] = ()
    orelse: tuple[int, ...] = ()
    reads: frozenset[str] = frozenset()  # registers read by addr, expr and args

    @property
    def access(self) -> bool:
        return self.kind not in ("local", "if")

    @property
    def blocks_early_stores(self) -> bool:
        """A later plain store may not be issued before this op (weak-memory.md section 3)."""
        if self.kind in ("local", "islocked"):
            return False
        if self.kind == "load":
            return self.order != "once"
        if self.kind == "store":
            return self.order != "once"
        if self.kind == "fence":
            return self.order not in ("rmb", "barrier")
        if self.kind == "rmw":
            return not (self.void or self.order == "relaxed")
        return self.kind != "if"


@dataclass
class Thread:
    tid: int
    params: tuple[str, ...]
    ops: list[Op]
    body: tuple[int, ...]  # top-level op ids in program order
    registers: frozenset[str]


# -- conditions ------------------------------------------------------------------------------------
Where = tuple[int | None, str]
"""A location of the final state: (thread, register), or (None, variable)."""


def where_text(w: Where) -> str:
    return w[1] if w[0] is None else f"{w[0]}:{w[1]}"


@dataclass(frozen=True)
class Atom:
    tid: int | None  # None: a shared variable
    name: str
    value: int | str
    negated: bool = False
    # herd7's location-to-location atom (``0:r1=1:r1``, ``x=*y``, ``[x]=[y]``): the two hold
    # the same value. ``value`` is then unused.
    other: Where | None = None

    def __str__(self) -> str:
        right = self.value if self.other is None else where_text(self.other)
        return f"{where_text((self.tid, self.name))}{'!=' if self.negated else '='}{right}"


@dataclass(frozen=True)
class Not:
    arg: Cond


@dataclass(frozen=True)
class And:
    left: Cond
    right: Cond


@dataclass(frozen=True)
class Or:
    left: Cond
    right: Cond


@dataclass(frozen=True)
class Const:
    value: bool


Cond = Atom | Not | And | Or | Const


def depth(node: Expr | Cond) -> int:
    """The height of an expression or condition tree, found without recursion (the functions
    that walk a tree recurse, so a tree is refused above ``MAX_DEPTH`` before any walks it)."""
    best = 0
    stack: list[tuple[Expr | Cond, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        kids: tuple[Expr | Cond, ...]
        if isinstance(n, Unary | Not):
            kids = (n.arg,)
        elif isinstance(n, Binary | And | Or):
            kids = (n.left, n.right)
        elif isinstance(n, Call):
            kids = n.args
        elif isinstance(n, Assign):
            kids = (n.target, n.value)
        else:
            kids = ()
        stack.extend((k, d + 1) for k in kids)
    return best


State = dict[tuple[int | None, str], int | str]


def holds(c: Cond, state: State) -> bool:
    if isinstance(c, Atom):
        value = c.value if c.other is None else state.get(c.other, 0)
        eq = state.get((c.tid, c.name), 0) == value
        return eq != c.negated
    if isinstance(c, Not):
        return not holds(c.arg, state)
    if isinstance(c, And):
        return holds(c.left, state) and holds(c.right, state)
    if isinstance(c, Or):
        return holds(c.left, state) or holds(c.right, state)
    return c.value


def atoms(c: Cond) -> list[Atom]:
    if isinstance(c, Atom):
        return [c]
    if isinstance(c, Not):
        return atoms(c.arg)
    if isinstance(c, And | Or):
        return atoms(c.left) + atoms(c.right)
    return []


@dataclass
class LitmusTest:
    name: str
    path: str
    result: str | None  # the file's "Result:" comment (Never, Sometimes, DEADLOCK, ...)
    init: dict[str, int | str]
    reg_init: dict[tuple[int, str], int | str]
    threads: list[Thread]
    quantifier: str  # "exists", "~exists" or "forall"
    cond: Cond
    filter: Cond | None = None
    cond_text: str = ""
    variables: list[str] = field(default_factory=list)
