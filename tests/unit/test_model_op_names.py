"""Model ops are found by name (``op_<name>``) on the composed PageCacheModel: two mixins that
define the same op would silently shadow each other. Overrides must be deliberate (they call
super()), so the only allowed repeats are listed here."""

from __future__ import annotations

from actors.model import PageCacheModel

# Deliberate overrides that extend a base op and call super().
OVERRIDES = {"commit", "mutex_unlock", "mutex_unlock_via"}


def test_no_op_is_defined_by_two_mixins() -> None:
    owners: dict[str, list[str]] = {}
    for cls in PageCacheModel.__mro__:
        for name in vars(cls):
            if name.startswith("op_"):
                owners.setdefault(name[3:], []).append(cls.__name__)
    clashes = {op: who for op, who in owners.items() if len(who) > 1 and op not in OVERRIDES}
    assert clashes == {}
