"""Which later plain stores a litmus thread may issue early (weak-memory.md section 3).

A store may go before the instructions still ahead of it when none of them writes a register
the store reads, none blocks early stores (``Op.blocks_early_stores``: fences other than
``smp_rmb``/``barrier``, acquires, releases, locks, RCU, RMWs that are not relaxed), none
touches the same location or one not known yet, and the store is not inside an ``if``: an
``if`` ahead is bypassed as a whole, its branches counted as instructions ahead (herd7's
control dependencies end at the end of the ``if``). An RCU read-side unlock is passed, and a
lock too in a test without a grace period (``passable_brackets``).
"""

from __future__ import annotations

from collections.abc import Callable

from actors.litmus.syntax import Expr, Op, Thread, regs_of
from actors.memory.base import Value

ValueOf = Callable[[Expr], Value]  # an expression's value in the thread's current registers


# Read-side brackets are no fences: in LKMM they enter only the RCU axiom, which orders what is
# po-before a section's unlock and what is po-after its lock against a grace period. A store
# issued early past an unlock stays po-after the lock and counts as before the unlock as well
# (it is published with the section): the model only gains order. Past a lock it would lose the
# grace period's order, so a lock is passed only in a test with no grace period (rcu-order
# starts at a synchronize_rcu/srcu) and no fence after an srcu_read_unlock.
UNLOCKS = frozenset(("rcu_unlock",))
BRACKETS = frozenset(("rcu_lock", "rcu_unlock"))


def passable_brackets(threads: list[Thread]) -> frozenset[str]:
    """The read-side bracket kinds an early store may pass in this test."""
    for th in threads:
        for op in th.ops:
            if op.kind in ("gp_start", "gp_end") or (
                op.kind == "fence" and op.order == "after_srcu_read_unlock"
            ):
                return UNLOCKS
    return BRACKETS


def early_candidates(
    th: Thread,
    cont: tuple[int, ...],
    issued: frozenset[int],
    value_of: ValueOf,
    passable: frozenset[str] = frozenset(),
) -> list[int]:
    """The ids of the stores in ``cont`` (the thread's remaining program; ``issued``: stores
    already issued early) that may be issued now, in program order. ``passable``: kinds of op
    that do not stop an early store in this test (``passable_brackets``)."""
    written: set[str] = set()
    locs: set[str] = set()
    unknown = False
    out: list[int] = []
    for pos, oid in enumerate(cont):
        if oid in issued:
            continue
        op = th.ops[oid]
        if (
            pos > 0
            and op.kind == "store"
            and op.order == "once"
            and not unknown
            and not (op.reads & written)
        ):
            loc = value_of(op.addr) if op.addr is not None else None
            if isinstance(loc, str) and loc not in locs:
                out.append(oid)
        blocked, unknown = _absorb(th, op, value_of, written, locs, unknown, passable)
        if blocked:
            break
    return out


def _absorb(
    th: Thread,
    op: Op,
    value_of: ValueOf,
    written: set[str],
    locs: set[str],
    unknown: bool,
    passable: frozenset[str],
) -> tuple[bool, bool]:
    """Add ``op`` to the instructions an early store would bypass: (blocks, unknown loc)."""
    if op.kind == "if":
        for oid in op.then + op.orelse:
            b, unknown = _absorb(th, th.ops[oid], value_of, written, locs, unknown, passable)
            if b:
                return True, unknown
        return False, unknown
    if op.blocks_early_stores and op.kind not in passable:
        return True, unknown
    if op.addr is not None:
        if regs_of(op.addr, th.registers) & written:
            unknown = True
        else:
            loc = value_of(op.addr)
            if isinstance(loc, str):
                locs.add(loc)
            else:
                unknown = True
    if op.dst is not None:
        written.add(op.dst)
    return False, unknown
