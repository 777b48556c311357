"""Linus's ordered-mapcount proposal (kernel-scenarios.md 004c, LKML 2020-10-14): under the pte
lock, raise the page's mapcount *first* ("atomic and ordered"), re-test the page lock, and only
then set the pte. The mapcount increment is the scenario's own ``atomic_inc`` on the weak
location ``page->_mapcount`` (what page_mapped reads in that scenario), so setting the pte is a
step of its own: ``set_pte_at``, which counts the pte in ``mapcount``, the pte count the
model's compound steps and oracles check.
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.mm import Mm
from actors.model.ops import op
from actors.objects import Ref


class RmapOrder:
    def __init__(self, core: Core, mm: Mm) -> None:
        self.core = core
        self.mm = mm

    @op
    def set_pte_at(self, cx: Step, mm: Ref, addr: int, page: Ref, holder: str) -> bool:
        """Under the pte lock, with the page's mapcount already raised by the caller: if
        pte_none, set the pte (the caller's reference becomes the pte's). False if taken."""
        return self.mm.set_pte(cx, mm, addr, page, 0, holder)
