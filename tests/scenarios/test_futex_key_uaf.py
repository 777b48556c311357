"""000a futex-key-uaf: without K11, get_futex_key reads mapping->host of an inode that RCU has
already freed (INV-UAF-2); 65d8fc777f6d re-validates page->mapping inside the section."""

from __future__ import annotations

from tests.scenarios.futex_checks import directed, first_violation, same_trace_twice

SCEN = "futex-key-uaf"


def test_directed_buggy_reads_freed_inode() -> None:
    o = directed(SCEN, "buggy")
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-UAF-2", "K12")


def test_directed_fixed_is_clean() -> None:
    assert directed(SCEN, "fixed").status == "clean"


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None
    assert hit[1].violation is not None
    assert hit[1].violation.oracle == "INV-UAF-2"


def test_determinism() -> None:
    assert same_trace_twice(SCEN, "buggy", 11)
    assert same_trace_twice(SCEN, "fixed", 11)
