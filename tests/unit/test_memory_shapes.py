"""The memory models on the classic shapes, each explored exhaustively: SC forbids every weak
outcome, TSO allows only store buffering (x86), WEAK allows what LKMM allows."""

from __future__ import annotations

import pytest

from actors.litmus.check import check
from actors.litmus.parse import parse

S, N = "Sometimes", "Never"


def shape(body: str, cond: str, init: str = "") -> str:
    return f"C shape\n{{ {init} }}\n{body}\nexists ({cond})\n"


MP = """
P0(int *x, int *y) { WRITE_ONCE(*x, 1); {F0} WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*y); {F1} r1 = READ_ONCE(*x); }
"""
SB = """
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); {F0} r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); {F1} r0 = READ_ONCE(*x); }
"""
LB = """
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); {F0} WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); {F1} WRITE_ONCE(*x, 1); }
"""
LB_DATA = """
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, r0); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); WRITE_ONCE(*x, r0); }
"""
LB_CTRL = """
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); if (r0) WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); if (r0) WRITE_ONCE(*x, 1); }
"""
IRIW = """
P0(int *x) { WRITE_ONCE(*x, 1); }
P1(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*x); {F0} r1 = READ_ONCE(*y); }
P2(int *y) { WRITE_ONCE(*y, 1); }
P3(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*y); {F1} r1 = READ_ONCE(*x); }
"""
W22 = """
P0(int *x, int *y) { WRITE_ONCE(*x, 1); {F0} WRITE_ONCE(*y, 2); }
P1(int *x, int *y) { WRITE_ONCE(*y, 1); {F1} WRITE_ONCE(*x, 2); }
"""
CORR = """
P0(int *x) { WRITE_ONCE(*x, 1); }
P1(int *x) { int r0; int r1; r0 = READ_ONCE(*x); r1 = READ_ONCE(*x); }
"""
MP_ADDR = """
P0(int *x, int **p) { WRITE_ONCE(*x, 1); smp_wmb(); WRITE_ONCE(*p, x); }
P1(int *x, int **p) { int *r0; int r1; r0 = READ_ONCE(*p); r1 = READ_ONCE(*r0); }
"""


def fenced(body: str, f0: str = "", f1: str = "") -> str:
    return body.replace("{F0}", f0).replace("{F1}", f1)


MB = "smp_mb();"
CASES = {
    # name: (source, {mode: verdict})
    "MP": (shape(fenced(MP), "1:r0=1 /\\ 1:r1=0"), (N, N, S)),
    "MP+wmb+rmb": (
        shape(fenced(MP, "smp_wmb();", "smp_rmb();"), "1:r0=1 /\\ 1:r1=0"),
        (N, N, N),
    ),
    "MP+wmb": (shape(fenced(MP, "smp_wmb();"), "1:r0=1 /\\ 1:r1=0"), (N, N, S)),
    "MP+wmb+addr": (shape(MP_ADDR, "1:r0=x /\\ 1:r1=0", "p=z; z=0;"), (N, N, N)),
    "SB": (shape(fenced(SB), "0:r0=0 /\\ 1:r0=0"), (N, S, S)),
    "SB+mbs": (shape(fenced(SB, MB, MB), "0:r0=0 /\\ 1:r0=0"), (N, N, N)),
    "SB+mb+nothing": (shape(fenced(SB, MB), "0:r0=0 /\\ 1:r0=0"), (N, S, S)),
    "LB": (shape(fenced(LB), "0:r0=1 /\\ 1:r0=1"), (N, N, S)),
    "LB+mbs": (shape(fenced(LB, MB, MB), "0:r0=1 /\\ 1:r0=1"), (N, N, N)),
    "LB+datas": (shape(LB_DATA, "0:r0=1 /\\ 1:r0=1"), (N, N, N)),
    "LB+ctrls": (shape(LB_CTRL, "0:r0=1 /\\ 1:r0=1"), (N, N, N)),
    "IRIW": (shape(fenced(IRIW), "1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0"), (N, N, S)),
    "IRIW+mbs": (
        shape(fenced(IRIW, MB, MB), "1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0"),
        (N, N, N),
    ),
    "IRIW+rmbs": (
        shape(fenced(IRIW, "smp_rmb();", "smp_rmb();"), "1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0"),
        (N, N, S),
    ),
    "2+2W": (shape(fenced(W22), "x=1 /\\ y=1"), (N, N, S)),
    "2+2W+mbs": (shape(fenced(W22, MB, MB), "x=1 /\\ y=1"), (N, N, N)),
    "CoRR": (shape(CORR, "1:r0=1 /\\ 1:r1=0"), (N, N, N)),
}


@pytest.mark.parametrize("mode", ["sc", "tso", "weak"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_shape(name: str, mode: str) -> None:
    src, verdicts = CASES[name]
    want = dict(zip(("sc", "tso", "weak"), verdicts, strict=True))[mode]
    v = check(parse(src, name), mode)
    assert v.decided
    assert v.verdict == want, f"{name} under {mode}: {v.verdict}, expected {want}"
