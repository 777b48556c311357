"""``pcemu findings DIR --merge OTHER``: add another store's batches (those DIR does not hold)
with their hits, and take its reproducer where it is smaller, copying its artifact files; the
coverage of the two stores is united.

Everything read from OTHER is checked before anything is written to DIR: its finding rows are
decoded (``Store.findings``, which refuses paths outside its findings folder), its batch rows
and hits type-checked, and a file is copied only to a path that stays inside DIR. Only files
this merge copied are ever removed again.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass

from emulator.soak import paths
from emulator.soak.rows import BatchRow, FindingRow, Hit, StoreDamaged, as_int, as_str
from emulator.soak.store import Store


@dataclass(frozen=True)
class Merged:
    batches: int  # new to DIR
    of: int  # in OTHER
    findings: int  # in OTHER
    coverage: int = 0  # reads-from pairs and conflict orders new to DIR


def _read(
    other: Store,
) -> tuple[dict[str, FindingRow], list[tuple[BatchRow, list[tuple[str, int]]]]]:
    theirs = {f.sig: f for f in other.findings()}
    out: list[tuple[BatchRow, list[tuple[str, int]]]] = []
    try:
        rows = other.db.execute(
            "SELECT lane, shard, k, seed_lo, seed_hi, runs, steps, failures FROM batches"
        ).fetchall()
        for b in rows:
            row = BatchRow(
                as_str(b[0], "batch lane"),
                as_str(b[1], "batch shard"),
                *(as_int(x, "batch count") for x in b[2:]),
            )
            cur = other.db.execute(
                "SELECT sig, count FROM hits WHERE lane=? AND shard=? AND k=?", (b[0], b[1], b[2])
            )
            hits = [(as_str(s, "hit sig"), as_int(c, "hit count")) for s, c in cur.fetchall()]
            for sig, count in hits:
                if sig not in theirs or count < 1:
                    raise StoreDamaged(f"hit {sig[:20]!r} of batch {row.lane} k={row.k}")
            out.append((row, hits))
    except (StoreDamaged, sqlite3.Error, UnicodeDecodeError) as exc:
        raise other.damaged(exc) from None
    return theirs, out


def merge(into: Store, other: Store) -> Merged:
    theirs, batches = _read(other)
    cov = other.coverage_rows()
    best = {f.sig: (f.seed, f.strategy) for f in into.findings()}
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
