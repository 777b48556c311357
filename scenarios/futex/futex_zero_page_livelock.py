"""001a — get_futex_key loops forever, uninterruptibly, on a page that has no mapping and never
will: the ZERO_PAGE (this scenario) or a gate-area / special page (futex-gate-area-livelock).

Thread: S001, Hugh Dickins, "Re: [GIT PULL] futex fixlet", LKML 2011-12-30, quoting Nick
Piggin's 2008 rule ("lock the page and ensure it hasn't been truncated") that 38d47c1b70
"futex: rely on get_user_pages() for shared futexes" turned into `if (!page->mapping) goto
again`. History (9ea71503a8ed log): 7485d0d3758e (2.6.33) avoided the ZERO_PAGE by always asking
gup for write access; 9ea71503a8ed re-added a read-only fallback together with an explicit
ZERO_PAGE test (v3.2); Sasha Levin's trinity run then hung in the gate area, fixed by
ab69f41ef93d (tip) and e6780f7243ed "futex: Fix uninterruptible loop due to gate_area" (v3.3).

The futex word sits in a private PROT_READ anonymous mapping that was never written: the
writable gup fails, the read-only fallback (L1) returns the ZERO_PAGE, whose mapping is NULL
forever. Nothing else runs: no race is needed, only a retry loop without a way out.

BUGGY = v2008 (goto again); FIXED = e6780f7243ed (retry only for swap cache). Extra variants:
v3.2 and vtip (the ZERO_PAGE test stops the loop here), vlin (Linus's "return -EFAULT").
Oracle: INV-LIVE-1 (64 iterations of L5 with no other actor changing anything CPU0 examined).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import PageCacheModel, era_options
from actors.objects import PAGE
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_fixlet import FIXED, V32, V2008, VLIN, VTIP, futex_wait

UADDR = 0x7F0000001000  # the futex word's page in the PROT_READ anonymous mapping
GATE = 0xFFFFFFFFFF600000  # x86-64 vsyscall page: the gate area

ZERO_VARIANTS = {"buggy": V2008, "v3.2": V32, "vtip": VTIP, "vlin": VLIN, "fixed": FIXED}

# One futex loop: every retry re-runs gup (two attempts), lock, check, unlock, put.
WINDOWS = [("L1", "L5")]
DIRECTED = [
    ("CPU0", "L1"),  # 1. gup: the writable attempt fails, the read-only one returns the page
    ("CPU0", "L3"),  # 2. lock_page(page)
    ("CPU0", "L4"),  # 3. page->mapping == NULL ...
    ("CPU0", "L5"),  #    ... unlock, put, goto again; 4. repeat 1-3 forever
]


def build_livelock(l5: str, page: str) -> Setup:
    """CPU0 does FUTEX_WAIT on a page with no mapping: the ZERO_PAGE of a never-written
    PROT_READ anonymous vma (page="zero"), the gate-area page (page="gate"), an
    install_special_mapping page ("special") or a driver's vm_insert_page page ("driver")."""
    model = PageCacheModel(era_options("E2011"))  # one actor: no lock is ever contended
    mm = model.new_mm()
    if page == "zero":
        model.new_zero_page()
        # Never touched: the first read fault maps the ZERO_PAGE (do_anonymous_page).
        model.new_vma(mm, UADDR, UADDR + 16 * PAGE, vkind="anon", writable=0)
        uaddr = UADDR
    else:
        # The gate area (read-only, in_gate_area), a vdso-like install_special_mapping page
        # (read-only, VM_SPECIAL) or a driver's vm_insert_page mmap (read-write, no mapping).
        ptype, vkind, writable = {
            "gate": ("GATE", "gate", 0),
            "special": ("SPECIAL", "special", 0),
            "driver": ("DRIVER", "driver", 1),
        }[page]
        special = model.new_special_page(ptype)
        model.new_vma(mm, GATE, GATE + PAGE, vkind=vkind, writable=writable)
        model.map_initial(mm, GATE, special, writable=writable)
        uaddr = GATE
    mm_ref = model.ref(mm)

    async def cpu0(k: K) -> None:
        await futex_wait(k, mm_ref, uaddr, l5)

    return Setup(model=model, actors=[actor("CPU0", cpu0)], windows=WINDOWS, directed=DIRECTED)


def build(variant: str, options: Mapping[str, str]) -> Setup:
    return build_livelock(ZERO_VARIANTS[variant], "zero")


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "38d47c1b707 (2.6.28 kernel/futex.c) with its read-only get_user_pages.",
    "fixed": "e6780f7243ed (3.2.7 kernel/futex.c).",
    "v3.2": "9ea71503a8ed (explicit ZERO_PAGE test).",
    "vtip": "ab69f41ef93d patch text.",
    "vlin": "Linus's fixlet (S001).",
}


SCENARIO = Scenario(
    name="futex-zero-page-livelock",
    spec_id="001a",
    thread="S001 Hugh Dickins, Re: [GIT PULL] futex fixlet (2011-12-30)",
    title="get_futex_key's goto again spins forever on the ZERO_PAGE",
    era="E2011",
    commits="38d47c1b70 -> e6780f7243ed",
    build=build,
    expects={
        "buggy": ("INV-LIVE-1",),
        "v3.2": (),
        "vtip": (),
        "vlin": (),
        "fixed": (),
    },
    variants=("buggy", "fixed", "v3.2", "vtip", "vlin"),
)
