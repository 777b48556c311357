"""001a (driver-page form) — ab69f41ef93d's get_futex_key still spins forever on a page that a
driver's mmap inserted with vm_insert_page: no mapping, not the ZERO_PAGE, not the gate area,
not an install_special_mapping vma.

Thread: S001, Hugh Dickins, "Re: [GIT PULL] futex fixlet", LKML 2011-12-30, and the log of
e6780f7243ed "futex: Fix uninterruptible loop due to gate_area" (v3.3): "are there still drivers
setting up their own special mmaps without page->mapping". ab69f41ef93d (tip, Peter Zijlstra,
Dec 2011) returned -EFAULT on the first pass for the ZERO_PAGE and the gate area, and on the
second pass (after a find_vma under mmap_sem) for is_special_mapping() vmas; anything else went
round again. A VM_MIXEDMAP / vm_insert_page mmap is GUP-able and its alloc_page pages have
page->mapping == NULL for ever, so the futex loops uninterruptibly.

Sources compared: ab69f41ef93d's patch text (kernel/futex.c get_futex_key, no_mapping_tries);
3.2.7 kernel/futex.c for e6780f7243ed's !mapping branch (retry only on PageSwapCache, else
-EFAULT). Simplification: in_gate_area() is an address test in the kernel, a test of the page's
kind here.

Variants: "buggy" = vtip; "fixed" = e6780f7243ed; "v3.2" and "v2008" loop too; "vlin" stops.
Oracle: INV-LIVE-1.
"""

from __future__ import annotations

from collections.abc import Mapping

from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_fixlet import FIXED, V32, V2008, VLIN, VTIP
from scenarios.futex.futex_zero_page_livelock import build_livelock

DRIVER_VARIANTS = {"buggy": VTIP, "fixed": FIXED, "v3.2": V32, "v2008": V2008, "vlin": VLIN}


def build(variant: str, options: Mapping[str, str]) -> Setup:
    return build_livelock(DRIVER_VARIANTS[variant], "driver")


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "ab69f41ef93d patch text (no_mapping_tries, is_special_mapping on the 2nd pass).",
    "fixed": "e6780f7243ed (3.2.7 kernel/futex.c).",
    "v3.2": "9ea71503a8ed.",
    "v2008": "38d47c1b707, read-only GUP.",
    "vlin": "Linus's fixlet (S001).",
}


SCENARIO = Scenario(
    name="futex-driver-page-livelock",
    spec_id="001a",
    thread="S001 Hugh Dickins, Re: [GIT PULL] futex fixlet (2011-12-30); e6780f7243ed log",
    title="ab69f41ef93d get_futex_key spins forever on a driver's vm_insert_page page",
    era="E2011",
    commits="ab69f41ef93d (tip) -> e6780f7243ed",
    build=build,
    expects={
        "buggy": ("INV-LIVE-1",),
        "v3.2": ("INV-LIVE-1",),
        "v2008": ("INV-LIVE-1",),
        "vlin": (),
        "fixed": (),
    },
    variants=("buggy", "fixed", "v3.2", "v2008", "vlin"),
)
