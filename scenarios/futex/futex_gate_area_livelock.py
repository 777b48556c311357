"""001a (gate-area form) — get_futex_key spins forever on the gate-area page under v3.2.

Thread: S001, Hugh Dickins, "Re: [GIT PULL] futex fixlet", LKML 2011-12-30. The v3.2 code
(9ea71503a8ed's explicit ZERO_PAGE test on top of 38d47c1b70's `goto again`) still loops on any
other page without a mapping: Sasha Levin's trinity run hung on a futex in the x86-64 vsyscall
gate area (ab69f41ef93d log), and Peter Zijlstra noted the same for install_special_mapping()
pages. Fixed by ab69f41ef93d (tip) and e6780f7243ed "futex: Fix uninterruptible loop due to
gate_area" (v3.3).

The gate-area pte is always present and read-only: the writable gup fails, the read-only
fallback returns the special page, whose mapping is NULL forever.

BUGGY = v3.2; FIXED = e6780f7243ed. Extra variants: v2008 (loops too), vtip and vlin (stop).
Oracle: INV-LIVE-1.
"""

from __future__ import annotations

from collections.abc import Mapping

from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_fixlet import FIXED, V32, V2008, VLIN, VTIP
from scenarios.futex.futex_zero_page_livelock import build_livelock

GATE_VARIANTS = {"buggy": V32, "v2008": V2008, "vtip": VTIP, "vlin": VLIN, "fixed": FIXED}


def build(variant: str, options: Mapping[str, str]) -> Setup:
    return build_livelock(GATE_VARIANTS[variant], "gate")


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "9ea71503a8ed (3.2 kernel/futex.c): write GUP with read-only fallback, explicit "
    "ZERO_PAGE test; the gate page loops.",
    "fixed": "e6780f7243ed (3.2.7 kernel/futex.c).",
    "v2008": "38d47c1b707 (2.6.28) with its read-only get_user_pages.",
    "vtip": "ab69f41ef93d patch text: gate area -EFAULT on the first pass.",
    "vlin": "Linus's fixlet (S001): -EFAULT for every page without a mapping.",
}


SCENARIO = Scenario(
    name="futex-gate-area-livelock",
    spec_id="001a",
    thread="S001 Hugh Dickins, Re: [GIT PULL] futex fixlet (2011-12-30)",
    title="v3.2 get_futex_key spins forever on a gate-area (special) page",
    era="E2011",
    commits="9ea71503a8ed (v3.2) -> ab69f41ef93d / e6780f7243ed",
    build=build,
    expects={
        "buggy": ("INV-LIVE-1",),
        "v2008": ("INV-LIVE-1",),
        "vtip": (),
        "vlin": (),
        "fixed": (),
    },
    variants=("buggy", "fixed", "v2008", "vtip", "vlin"),
)
