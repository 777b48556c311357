"""``pcemu oracles`` and ``pcemu primitives`` are generated from the code: every oracle of the
table and every op a model component declares behind the actor API appear, with the citation a
report's reader needs; a filter that matches nothing is one line and exit 2."""

from __future__ import annotations

import json

import pytest

from actors.model.model import COMPONENTS
from actors.model.ops import declared
from actors.model.oracles import ORACLES
from tests.e2e.invoke import pcemu


def test_every_oracle_is_listed_with_its_symptom(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(capsys, "oracles", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == {o.id for o in ORACLES}
    assert all(r["symptom"] and r["meaning"] for r in rows.values())
    code, out, _ = pcemu(capsys, "oracles", "inv-lock-1")
    assert code == 0 and out.startswith("INV-LOCK-1\n") and "symptom:" in out


def test_every_declared_kernel_op_is_a_listed_primitive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = pcemu(capsys, "primitives", "--json")
    assert code == 0
    rows = json.loads(out)
    ops = {r["name"] for r in rows if r["kind"] == "op"}
    declared_ops = {name for _, cls in COMPONENTS for name in declared(cls)}
    assert declared_ops <= ops, sorted(declared_ops - ops)
    routines = {r["name"]: r for r in rows if r["kind"] == "routine"}
    assert routines["filemap_fault"]["family"] == "kernel.filemap"
    # Each op says what kernel code it stands for: a docstring is the citation.
    undocumented = sorted(r["name"] for r in rows if r["kind"] == "op" and not r["doc"])
    assert not undocumented


def test_a_family_filter_and_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(capsys, "primitives", "kernel.fault")
    assert code == 0 and "do_shared_fault(" in out and "lock_page(" not in out
    code, out, err = pcemu(capsys, "primitives", "no-such-family")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no-such-family" in err and "families:" in err
    code, _, err = pcemu(capsys, "oracles", "INV-NOPE-9")
    assert code == 2 and "INV-NOPE-9" in err and "known:" in err
