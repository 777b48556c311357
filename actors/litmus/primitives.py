"""The kernel primitives a litmus thread may call, and how each lowers to one op.

Functions taking an lvalue (``READ_ONCE(*x)``) and functions taking a pointer
(``smp_load_acquire(x)``) both end up with the address expression of the location accessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.litmus.syntax import Call, Expr, Unary, Unsupported, wrap

if TYPE_CHECKING:
    from actors.litmus.statements import ThreadParser

LOADS_LVALUE = {"READ_ONCE": "once", "rcu_dereference": "once"}
LOADS_POINTER = {
    "smp_load_acquire": "acquire",
    "atomic_read": "once",
    "atomic_read_acquire": "acquire",
}
STORES_LVALUE = {"WRITE_ONCE": "once", "rcu_assign_pointer": "release", "RCU_INIT_POINTER": "once"}
STORES_POINTER = {
    "smp_store_release": "release",
    "atomic_set": "once",
    "atomic_set_release": "release",
}
FENCES = {
    "smp_mb": "mb",
    "smp_rmb": "rmb",
    "smp_wmb": "wmb",
    "smp_mb__before_atomic": "before_atomic",
    "smp_mb__after_atomic": "after_atomic",
    "smp_mb__after_spinlock": "after_spinlock",
    "smp_mb__after_unlock_lock": "after_unlock_lock",
    "smp_mb__after_srcu_read_unlock": "after_srcu_read_unlock",
    "barrier": "barrier",
}

# name -> (position of the pointer argument, number of arguments)
RMW_VARIANTS: dict[str, tuple[int, int]] = {
    "atomic_add_return": (1, 2),
    "atomic_sub_return": (1, 2),
    "atomic_inc_return": (0, 1),
    "atomic_dec_return": (0, 1),
    "atomic_fetch_add": (1, 2),
    "atomic_fetch_sub": (1, 2),
    "atomic_fetch_inc": (0, 1),
    "atomic_fetch_dec": (0, 1),
    "atomic_fetch_and": (1, 2),
    "atomic_fetch_or": (1, 2),
    "atomic_fetch_xor": (1, 2),
    "atomic_fetch_andnot": (1, 2),
    "atomic_xchg": (0, 2),
    "atomic_cmpxchg": (0, 3),
    "xchg": (0, 2),
    "cmpxchg": (0, 3),
}
RMW_FULL_ONLY: dict[str, tuple[int, int]] = {
    "atomic_add_unless": (0, 3),
    "atomic_inc_not_zero": (0, 1),
    "atomic_dec_and_test": (0, 1),
    "atomic_inc_and_test": (0, 1),
    "atomic_sub_and_test": (1, 2),
    "atomic_add_negative": (1, 2),
}
RMW_VOID: dict[str, tuple[int, int]] = {
    "atomic_add": (1, 2),
    "atomic_sub": (1, 2),
    "atomic_inc": (0, 1),
    "atomic_dec": (0, 1),
    "atomic_and": (1, 2),
    "atomic_or": (1, 2),
    "atomic_xor": (1, 2),
    "atomic_andnot": (1, 2),
}
SUFFIXES = {"_acquire": "acquire", "_release": "release", "_relaxed": "relaxed"}


def rmw_kind(name: str) -> tuple[str, str, int, int, bool] | None:
    """(base name, order, pointer position, arity, void) of an RMW primitive, or None."""
    if name in RMW_VARIANTS:
        return (name, "full", *RMW_VARIANTS[name], False)
    for suffix, order in SUFFIXES.items():
        base = name.removesuffix(suffix)
        if base != name and base in RMW_VARIANTS:
            return (base, order, *RMW_VARIANTS[base], False)
    if name in RMW_FULL_ONLY:
        return (name, "full", *RMW_FULL_ONLY[name], False)
    if name in RMW_VOID:
        return (name, "relaxed", *RMW_VOID[name], True)
    return None


def rmw_apply(fn: str, old: int | str, args: list[int | str]) -> tuple[int | str | None, int | str]:
    """(new value or None if the operation does not write, the value it returns); arithmetic
    wraps at 64 bits, as everywhere in a litmus program."""
    if fn in ("xchg", "atomic_xchg"):
        return args[0], old
    if fn in ("cmpxchg", "atomic_cmpxchg"):
        return (args[1] if old == args[0] else None), old
    if not isinstance(old, int) or not all(isinstance(a, int) for a in args):
        raise Unsupported(f"{fn} on a pointer value")
    o = old
    a = [int(x) for x in args]
    if fn == "atomic_add_unless":
        return (wrap(o + a[0]), 1) if o != a[1] else (None, 0)
    if fn == "atomic_inc_not_zero":
        return (wrap(o + 1), 1) if o != 0 else (None, 0)
    op = fn.removeprefix("atomic_").removeprefix("fetch_")
    op = op.removesuffix("_return").removesuffix("_and_test").removesuffix("_negative")
    i = a[0] if a else 1
    new = wrap(
        {
            "add": o + i,
            "sub": o - i,
            "inc": o + 1,
            "dec": o - 1,
            "and": o & i,
            "or": o | i,
            "xor": o ^ i,
            "andnot": o & ~i,
        }[op]
    )
    if fn.startswith("atomic_fetch_"):
        return new, o
    if fn.endswith("_and_test"):
        return new, int(new == 0)
    if fn.endswith("_negative"):
        return new, int(new < 0)
    return new, new


def _lvalue(p: ThreadParser, c: Call, e: Expr, ids: list[int], line: int) -> Expr:
    if isinstance(e, Unary) and e.op == "*":
        return p.lower_expr(e.arg, ids, line)
    raise Unsupported(f"{c.fn} of something that is not '*pointer'")


def _arity(c: Call, n: int) -> None:
    if len(c.args) != n:
        raise Unsupported(f"{c.fn} with {len(c.args)} arguments")


def lower_call(p: ThreadParser, c: Call, dst: str | None, ids: list[int], line: int) -> None:
    """Append the op(s) of one primitive call; ``dst`` receives its value (None: discarded)."""
    fn = c.fn
    if fn in LOADS_LVALUE or fn in LOADS_POINTER:
        _arity(c, 1)
        if fn in LOADS_LVALUE:
            addr = _lvalue(p, c, c.args[0], ids, line)
            order = LOADS_LVALUE[fn]
        else:
            addr = p.lower_expr(c.args[0], ids, line)
            order = LOADS_POINTER[fn]
        ids.append(p.add("load", line, dst=dst or p.fresh(), addr=addr, order=order))
        return
    if fn in STORES_LVALUE or fn in STORES_POINTER or fn == "smp_store_mb":
        _arity(c, 2)
        if fn in STORES_POINTER:
            addr = p.lower_expr(c.args[0], ids, line)
            order = STORES_POINTER[fn]
        else:
            addr = _lvalue(p, c, c.args[0], ids, line)
            order = STORES_LVALUE.get(fn, "once")
        val = p.lower_expr(c.args[1], ids, line)
        _no_value(c, dst)
        ids.append(p.add("store", line, addr=addr, expr=val, order=order))
        if fn == "smp_store_mb":
            ids.append(p.add("fence", line, order="mb"))
        return
    if fn in FENCES:
        _arity(c, 0)
        _no_value(c, dst)
        ids.append(p.add("fence", line, order=FENCES[fn]))
        return
    if fn in ("spin_lock", "spin_unlock", "spin_trylock", "spin_is_locked"):
        _arity(c, 1)
        addr = p.lower_expr(c.args[0], ids, line)
        kind = {"spin_lock": "lock", "spin_unlock": "unlock"}.get(fn)
        if kind is not None:
            _no_value(c, dst)
            ids.append(p.add(kind, line, addr=addr))
        else:
            kind = "trylock" if fn == "spin_trylock" else "islocked"
            ids.append(p.add(kind, line, addr=addr, dst=dst or p.fresh()))
        return
    if fn in ("rcu_read_lock", "rcu_read_unlock"):
        _arity(c, 0)
        _no_value(c, dst)
        ids.append(p.add("rcu_lock" if fn == "rcu_read_lock" else "rcu_unlock", line))
        return
    if fn in ("synchronize_rcu", "synchronize_rcu_expedited"):
        _arity(c, 0)
        _no_value(c, dst)
        ids.append(p.add("gp_start", line))
        ids.append(p.add("gp_end", line))
        return
    # SRCU: RCU within the domain of one srcu_struct (its first argument), except that the
    # sections do not nest: srcu_read_unlock ends the section whose srcu_read_lock returned the
    # index it is given (held in a register, or copied from one), else the CPU's latest open
    # one. The index's value is 0 (herd7 reads it from the srcu_struct, which holds 0).
    if fn == "srcu_read_lock":
        _arity(c, 1)
        addr = p.lower_expr(c.args[0], ids, line)
        ids.append(p.add("rcu_lock", line, addr=addr, dst=dst or p.fresh()))
        return
    if fn == "srcu_read_unlock":
        _arity(c, 2)
        _no_value(c, dst)
        addr = p.lower_expr(c.args[0], ids, line)
        idx = p.lower_expr(c.args[1], ids, line)
        ids.append(p.add("rcu_unlock", line, addr=addr, args=(idx,)))
        return
    if fn in ("synchronize_srcu", "synchronize_srcu_expedited"):
        _arity(c, 1)
        _no_value(c, dst)
        addr = p.lower_expr(c.args[0], ids, line)
        ids.append(p.add("gp_start", line, addr=addr))
        ids.append(p.add("gp_end", line, addr=addr))
        return
    rmw = rmw_kind(fn)
    if rmw is None:
        raise Unsupported(f"primitive {fn}()")
    base, order, ptr, arity, void = rmw
    _arity(c, arity)
    lowered = [p.lower_expr(a, ids, line) for a in c.args]
    addr = lowered[ptr]
    rest = tuple(a for i, a in enumerate(lowered) if i != ptr)
    if void:
        _no_value(c, dst)
    ids.append(
        p.add(
            "rmw",
            line,
            dst=None if void else (dst or p.fresh()),
            addr=addr,
            fn=base,
            args=rest,
            order=order,
            void=void,
        )
    )


def _no_value(c: Call, dst: str | None) -> None:
    if dst is not None and not dst.startswith("%"):
        raise Unsupported(f"using the value of {c.fn}()")
