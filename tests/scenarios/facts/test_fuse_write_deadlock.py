"""004a fuse-write-deadlock: 5.9 fuse_fill_write_pages keeps target pages locked while it faults
the next source page in (INV-DL-1: the historical single-writer self-deadlock, or an ABBA of two
writers of two files); 4f06dd92b5d0 keeps at most the last, not-uptodate page locked and never
faults while holding it. fuse_cache_write_iter holds the inode lock across the write, so two
writers of one file serialize and cannot deadlock."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation, found_from_seeds

NAME = "fuse-write-deadlock"
POLICIES = ["P-UNFAIR", "P-OLD", "P-FAIR"]


def test_directed_self_deadlock_is_a_cycle_of_one() -> None:
    v = directed_violation(NAME, "buggy")
    assert v.oracle == "INV-DL-1"
    assert (v.actor, v.label) == ("T", "FF3")
    assert "T waits lock_page" in v.message
    assert "held by T since Q2b" in v.message


@pytest.mark.parametrize("policy", POLICIES)
def test_directed_two_file_abba_closes_a_cycle_of_two(policy: str) -> None:
    v = directed_violation(NAME, "buggy-abba", {"page_lock_policy": policy})
    assert v.oracle == "INV-DL-1"
    assert "held by T1" in v.message and "held by T2" in v.message


@pytest.mark.parametrize("variant", ["fixed-abba", "samefile"])
def test_directed_two_writer_variants_are_clean(variant: str) -> None:
    o = run_once(NAME, variant, seed=0, directed=True).outcome
    assert o.status == "clean", o


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_two_writers_of_one_file_serialize(strategy: str) -> None:
    """inode_lock (5.9.1 fs/fuse/file.c:1260) is taken before any page lock and held to the
    end: whenever one writer holds a page lock of the file, the other holds nothing."""
    for seed in range(60):
        r = run_once(NAME, "samefile", seed=seed, strategy=strategy)
        assert r.outcome.status == "clean", (seed, r.outcome)
        inside: dict[int, bool] = {}
        for d in (e.decode() for e in r.events):
            if d.status != "ok":
                continue
            if d.label == "Q0a":
                inside[d.actor] = True
            elif d.label == "Q9a":
                inside[d.actor] = False
            if d.op in ("lock_page", "add_to_page_cache_locked") and d.label.startswith("Q2"):
                assert inside.get(d.actor), (seed, d)
                assert sum(inside.values()) == 1, (seed, d)


def test_abba_needs_the_scheduler() -> None:
    """Seeds matter: some interleavings of the two writers complete."""
    found = [run_once(NAME, "buggy-abba", seed=s).outcome.failed for s in range(40)]
    assert any(found) and not all(found)


# (buggy, chaos) is the catalogue's.
FOUND = [("buggy", "pct"), ("buggy", "random")] + [
    ("buggy-abba", s) for s in ("chaos", "pct", "random")
]


@pytest.mark.parametrize("variant,strategy", FOUND)
def test_buggy_found_from_seeds(variant: str, strategy: str) -> None:
    found_from_seeds(NAME, strategy, 200, ("INV-DL-1",), variant=variant)


@pytest.mark.parametrize("policy", ["P-OLD", "P-FAIR"])
def test_fixed_clean_under_other_policies(policy: str) -> None:
    opts = {"page_lock_policy": policy}
    for seed in range(100):
        o = run_once(NAME, "fixed-abba", seed=seed, options=opts).outcome
        assert o.status == "clean", (seed, o)
