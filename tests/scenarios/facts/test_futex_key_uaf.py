"""000a futex-key-uaf: without K11, get_futex_key reads mapping->host of an inode that RCU has
already freed (INV-UAF-2); 65d8fc777f6d re-validates page->mapping inside the section."""

from __future__ import annotations

from tests.scenarios.facts.runs import directed_violation

SCEN = "futex-key-uaf"


def test_directed_buggy_reads_freed_inode() -> None:
    v = directed_violation(SCEN, "buggy")
    assert (v.oracle, v.label) == ("INV-UAF-2", "K12")
