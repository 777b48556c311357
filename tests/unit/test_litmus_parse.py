"""The C litmus parser: structure, conditions, and unsupported constructs named."""

from __future__ import annotations

import pytest

from actors.litmus.parse import parse
from actors.litmus.syntax import And, Atom, LitmusSyntaxError, Not, Or, Unsupported, holds

SRC = """C MP+sample
(*
 * Result: Never
 *)
{
	int x = 1;
	int *p = &x;
	atomic_t v = ATOMIC_INIT(3);
	0:r9 = 7;
}

P0(int *x, int **p, atomic_t *v) // writer
{
	int r0;

	WRITE_ONCE(*x, 2);
	r0 = atomic_add_return_relaxed(2, v);
	smp_store_release(p, x);
}

P1(int *x, int **p, spinlock_t *l)
{
	int *r0;
	int r1;

	spin_lock(l);
	r0 = rcu_dereference(*p); /* address dependency */
	r1 = READ_ONCE(*r0);
	if (r1 == 2 && r0 == x) {
		r1 = r1 + 1;
	} else
		WRITE_ONCE(*x, 3);
	spin_unlock(l);
}

locations [x; 0:r0]
filter (0:r0=5)
exists (1:r1=3 /\\ ~(x=3 \\/ v=5)) (* trailing comment *)
"""


def test_structure() -> None:
    t = parse(SRC)
    assert t.name == "MP+sample"
    assert t.result == "Never"
    assert t.init == {"x": 1, "p": "x", "v": 3}
    assert t.reg_init == {(0, "r9"): 7}
    assert [th.params for th in t.threads] == [("x", "p", "v"), ("x", "p", "l")]
    kinds = [t.threads[0].ops[i].kind for i in t.threads[0].body]
    assert kinds == ["store", "rmw", "store"]
    rmw = t.threads[0].ops[1]
    assert (rmw.fn, rmw.order, rmw.dst, rmw.void) == ("atomic_add_return", "relaxed", "r0", False)
    ops1 = t.threads[1].ops
    assert [ops1[i].kind for i in t.threads[1].body] == ["lock", "load", "load", "if", "unlock"]
    assert t.quantifier == "exists"
    assert t.filter == Atom(0, "r0", 5)
    assert t.cond == And(Atom(1, "r1", 3), Not(Or(Atom(None, "x", 3), Atom(None, "v", 5))))


def test_condition_evaluation() -> None:
    t = parse(SRC)
    assert holds(t.cond, {(1, "r1"): 3, (None, "x"): 2, (None, "v"): 3})
    assert not holds(t.cond, {(1, "r1"): 3, (None, "x"): 3})


def test_plain_accesses_and_undeclared_registers() -> None:
    t = parse("C plain\n{}\nP0(int *x, int *y) { *y = *x; r5 = 1; }\nforall (0:r5=1 /\\ y!=2)\n")
    th = t.threads[0]
    assert [th.ops[i].kind for i in th.body] == ["load", "store", "local"]
    assert "r5" in th.registers
    assert t.quantifier == "forall"
    assert t.cond == And(Atom(0, "r5", 1), Atom(None, "y", 2, negated=True))


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ("while (1) { }", "'while'"),
        ("smp_read_barrier_depends();", "primitive smp_read_barrier_depends()"),
        ("int a[2];", "arrays"),
        ("r0 = r1 ? 1 : 2;", "conditional operator '?:'"),
        ("r0++;", "'++'"),
    ],
)
def test_unsupported_construct_is_named(body: str, construct: str) -> None:
    with pytest.raises(Unsupported) as exc:
        parse(f"C bad\n{{}}\nP0(int *s) {{ int r0; int r1; {body} }}\nexists (0:r0=1)\n")
    assert exc.value.construct == construct


def test_not_a_litmus_file() -> None:
    with pytest.raises(LitmusSyntaxError, match="no 'C name' first line"):
        parse("hello")
    with pytest.raises(LitmusSyntaxError, match="expected exists"):
        parse("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n")


def _cond(cond: str) -> object:
    return parse(
        f"C c\n{{}}\nP0(int *x, int *y) {{ int r0; r0 = 1; }}\nP1(int *y) {{ int r0; }}\n{cond}\n"
    ).cond


@pytest.mark.parametrize(
    ("cond", "atom"),
    [
        # herd7's location-to-location atoms: a register on the right, *x or [x]
        ("exists (0:r0=1:r0)", Atom(0, "r0", 0, other=(1, "r0"))),
        ("exists (x=*y)", Atom(None, "x", 0, other=(None, "y"))),
        ("exists ([x]=[y])", Atom(None, "x", 0, other=(None, "y"))),
        ("exists (0:r0==1:r0)", Atom(0, "r0", 0, other=(1, "r0"))),
        ("exists (0:r0!=1:r0)", Atom(0, "r0", 0, negated=True, other=(1, "r0"))),
        # a bare name on the right is a value: that variable's address
        ("exists (0:r0=y)", Atom(0, "r0", "y")),
        ("exists (x==2)", Atom(None, "x", 2)),
    ],
)
def test_atoms_compare_a_location_with_a_value_or_another_location(cond: str, atom: Atom) -> None:
    assert _cond(cond) == atom


def test_a_location_to_location_atom_holds_when_both_hold_the_same() -> None:
    c = _cond("exists (0:r0=1:r0 /\\ x=*y)")
    assert holds(c, {(0, "r0"): 3, (1, "r0"): 3, (None, "x"): 1, (None, "y"): 1})
    assert not holds(c, {(0, "r0"): 3, (1, "r0"): 2, (None, "x"): 1, (None, "y"): 1})
    assert not holds(c, {(0, "r0"): 0, (None, "x"): 1})  # an absent location holds 0


def test_implication_binds_tighter_than_and_and_is_right_associative() -> None:
    a, b, c = Atom(None, "x", 1), Atom(None, "y", 1), Atom(0, "r0", 1)
    assert _cond("exists (x=1 => y=1)") == Or(Not(a), b)
    assert _cond("exists (x=1 /\\ y=1 => 0:r0=1)") == And(a, Or(Not(b), c))
    assert _cond("exists (x=1 => y=1 => 0:r0=1)") == Or(Not(a), Or(Not(b), c))


def test_a_register_of_a_thread_that_does_not_exist_on_the_right_is_named() -> None:
    with pytest.raises(LitmusSyntaxError, match="names thread 7"):
        _cond("exists (0:r0=7:r0)")


@pytest.mark.parametrize("word", ["Maybe", "Flag srcu-bad-nesting", "maybe (compiler!)"])
def test_a_result_that_states_no_verdict_is_checked_without_one(word: str) -> None:
    t = parse(
        f"C m\n(* Result: {word} *)\n{{}}\nP0(int *x) {{ WRITE_ONCE(*x, 1); }}\nexists (x=1)\n"
    )
    assert t.result is None


def test_the_initial_state_takes_herd_comments_and_typed_registers() -> None:
    t = parse(
        "C i\n{\n\tint *z=1; (* a list: x->y *)\n\tint *x=y;\n\tint * 0:r1 = z;\n\tint 1:r2;\n}\n"
        "P0(int *x) { WRITE_ONCE(*x, r1); }\nP1(int *x) { int r0; r0 = READ_ONCE(*x); }\n"
        "exists (x=z)\n"
    )
    assert t.init == {"z": 1, "x": "y"}
    assert t.reg_init == {(0, "r1"): "z", (1, "r2"): 0}
    assert "r1" in t.threads[0].registers  # given a value only by the initial state


def test_a_pointer_plus_zero_is_that_pointer_with_the_offsets_dependency() -> None:
    from actors.litmus.evaluate import evaluate

    regs = {"r9": (0, "dep")}
    e = parse(
        "C p\n{}\nP0(int *x) { int r9; int *r4; r9 = 0; r4 = x + r9; }\nexists (x=0)\n"
    ).threads[0]
    local = next(op for op in e.ops if op.dst == "r4")
    assert local.expr is not None
    assert evaluate(local.expr, e.registers, regs, lambda a, b: a or b) == ("x", "dep")
    with pytest.raises(Unsupported, match="on a pointer"):
        evaluate(local.expr, e.registers, {"r9": (8, None)}, lambda a, b: a or b)


def test_void_pointers_casts_and_a_semicolon_after_the_condition() -> None:
    t = parse(
        "C v\n{}\nP0(int *y) { rcu_assign_pointer(*(void **)y, (void *)1); }\n"
        "P1(int *y) { void *r0 = rcu_dereference(*(void **)y); int r3 = (int)r0; }\n"
        "exists (1:r3=1);\n"
    )
    assert t.cond == Atom(1, "r3", 1)
    assert [t.threads[1].ops[i].kind for i in t.threads[1].body] == ["load", "local"]
