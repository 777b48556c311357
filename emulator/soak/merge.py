"""``pcemu findings DIR --merge OTHER``: add another store's batches (those DIR does not hold)
with their hits, and take its reproducer where it is smaller, copying its artifact files; the
coverage of the two stores is united.

Every row of OTHER and of DIR is checked before anything is written to DIR (``Store.check``):
finding rows decoded (refusing paths outside the findings folder), batch rows and hits checked
for their types and ranges and against the rows they refer to; a file is copied only to a path
that stays inside DIR. Only files this merge copied are ever removed again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from emulator.errors import BadInput
from emulator.soak import paths
from emulator.soak.rows import FindingRow, Hit
from emulator.soak.store import Store


@dataclass(frozen=True)
class Merged:
    batches: int  # new to DIR
    of: int  # in OTHER
    findings: int  # in OTHER
    coverage: int = 0  # reads-from pairs and conflict orders new to DIR


def merge(into: Store, other: Store) -> Merged:
    """Merge OTHER into DIR. Every row of both stores is read and checked first
    (``Store.check``): a damaged one is refused in one line, and nothing is written."""
    rows = other.check()
    mine = into.check()
    theirs_v, mine_v = other.meta("pcemu"), into.meta("pcemu")
    if rows.batches and theirs_v is not None:
        if mine_v is not None and into.has_batches() and mine_v != theirs_v:
            # The same seeds of two versions may be different runs: the batches would say
            # seeds were covered that the merged store's version never ran.
            raise BadInput(
                f"{str(other.dir)!r} was run by pcemu {theirs_v}, {str(into.dir)!r} by pcemu "
                f"{mine_v}; merge stores of one version only (or start a new directory)"
            )
        if mine_v is None or not into.has_batches():
            into.set_meta(pcemu=theirs_v)
    theirs = {f.sig: f for f in rows.findings}
    cov = rows.coverage
    batches = [(b, rows.hits.get(b.key, [])) for b in rows.batches]
    best = {f.sig: (f.seed, f.strategy) for f in mine.findings}
    copied: set[str] = set()
    added = 0
    for row, sig_counts in batches:
        hits = []
        for sig, count in sig_counts:
            f = theirs[sig]
            files = _take_files(into, other, f, best.get(sig), copied)
            hits.append(
                Hit(f.finding, count, f.seed, f.strategy, f.spec, *files, unsaved=f.unsaved)
            )
        res = into.commit_batch(row, hits, None)
        added += int(res.inserted)
        into.remove_files([p for p in res.stale_files if p in copied])
        for h in hits:
            old = best.get(h.finding.sig)
            if res.inserted and (old is None or h.rank < old):
                best[h.finding.sig] = h.rank
    return Merged(added, len(batches), len(theirs), into.add_coverage(cov))


def _take_files(
    into: Store,
    other: Store,
    f: FindingRow,
    mine: tuple[int, str] | None,
    copied: set[str],
) -> tuple[str | None, str | None]:
    """Copy OTHER's reproducer files when it would become DIR's reproducer; the paths the
    hit carries (only files that now exist in DIR)."""
    if mine is not None and (f.seed, f.strategy) >= mine:
        return None, None
    kept: list[str | None] = []
    for rel in (f.log, f.trace):
        src = other.dir / rel if rel else None
        if rel is None or src is None or not src.is_file():
            kept.append(None)
            continue
        dst = into.dir / rel
        if not paths.inside(into.dir, rel):  # a symlinked folder in DIR leads out
            kept.append(None)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not paths.inside(into.dir, rel):
            kept.append(None)
            continue
        if not dst.exists():
            shutil.copyfile(src, dst)
            copied.add(rel)
        kept.append(rel)
    return kept[0], kept[1]
