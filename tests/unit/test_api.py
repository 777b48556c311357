"""The actor-side API (actors/api/) and the model's op declarations agree: every op has one
method of the same name with the same parameters after the label, and every public method is an
op. The op table is built once, at import, and no two components declare the same op."""

from __future__ import annotations

import importlib
import inspect

import pytest

import actors.api as api
from actors.api import K
from actors.model import OPS, PageCacheModel
from actors.model.model import COMPONENTS
from actors.model.ops import op, op_table

NOT_OPS = {"name", "port"}


def _params(fn: object, skip: int) -> list[tuple[str, object]]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [(p.name, p.default) for p in list(sig.parameters.values())[skip:]]


def api_methods() -> set[str]:
    """K's methods: one class made of one part per family of ops (each part declares its own)."""
    return {
        n
        for part in K.__mro__
        if part.__module__.startswith("actors.api")
        for n in vars(part)
        if not n.startswith("_") and n not in NOT_OPS
    }


def test_every_op_has_a_method_and_every_method_is_an_op() -> None:
    methods = api_methods()
    assert sorted(set(OPS) - methods) == [], "ops without an API method"
    assert sorted(methods - set(OPS)) == [], "API methods without an op"


def test_arity_and_parameter_names_match() -> None:
    comps = dict(COMPONENTS)
    for name, attr in OPS.items():
        model = _params(getattr(comps[attr], name), 2)  # self, cx
        actor = _params(getattr(K, name), 2)  # self, label
        assert actor == model, name


def test_api_modules_are_marked_for_source_attribution() -> None:
    assert api.__pcemu_api__ is True
    for part in K.__mro__:
        if part.__module__.startswith("actors.api"):
            mod = importlib.import_module(part.__module__)
            assert getattr(mod, "__pcemu_api__", False) is True, part.__module__


def test_op_table_is_built_once_and_refuses_duplicates() -> None:
    a, b = PageCacheModel(), PageCacheModel()
    # A model binds an op on its first use: every op of the table resolves on every model.
    for name in OPS:
        assert callable(a._op(name)) and callable(b._op(name))
    assert a._ops.keys() == b._ops.keys() == OPS.keys()

    class One:
        @op
        def ping(self, cx: object) -> None: ...

    class Two:
        @op
        def ping(self, cx: object) -> None: ...

    with pytest.raises(TypeError, match="'ping' declared by both one and two"):
        op_table((("one", One), ("two", Two)))


def test_renamed_ops_name_existing_ops_only() -> None:
    assert all(new in OPS for new in api.RENAMED_OPS.values())
    assert not any(old.split("(")[0] in OPS for old in api.RENAMED_OPS if old != "read(i_size)")
