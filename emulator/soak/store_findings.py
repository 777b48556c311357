"""The findings table of the store: one signature's row written (a new finding, or its count
raised and, for a better reproducer, its seed and files replaced) and read back checked.

These take the open connection and the store's ``rel`` (its artifact-path check) so that the
store keeps the one connection and the one notion of its directory."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from emulator.soak.findings import KINDS, Finding
from emulator.soak.rows import (
    CommitResult,
    FindingRow,
    Hit,
    StoreDamaged,
    as_int,
    as_str,
    as_time,
    spec_from_json,
    spec_json,
)

Rel = Callable[[object], "str | None"]  # Store.rel: a stored artifact path, checked

COLS = (
    "sig, kind, scenario, variant, oracle, label, message, expected, count, seed, strategy, "
    "spec, log, trace, first_seen, last_seen, unsaved"
)


def upsert(db: sqlite3.Connection, h: Hit, now: float, result: CommitResult, rel: Rel) -> None:
    """Count ``h`` into its finding. Raises StoreDamaged for a stored row of the wrong shape."""
    f = h.finding
    old = db.execute(
        "SELECT seed, strategy, log, trace, unsaved FROM findings WHERE sig=?", (f.sig,)
    ).fetchone()
    if old is None:
        db.execute(
            f"INSERT INTO findings ({COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                f.sig,
                f.kind,
                f.scenario,
                f.variant,
                f.oracle,
                f.label,
                f.message,
                int(f.expected),
                h.count,
                h.seed,
                h.strategy,
                spec_json(h.spec),
                h.log,
                h.trace,
                now,
                now,
                h.unsaved,
            ),
        )
        result.new_sigs.append(f.sig)
        return
    rank = (as_int(old[0], "finding seed"), as_str(old[1], "finding strategy"))
    owned = [p for p in (rel(old[2]), rel(old[3])) if p]
    # A finding whose files could not be written takes the next reproducer that has them.
    if h.rank < rank or (old[4] is not None and h.files and not owned):
        db.execute(
            "UPDATE findings SET count=count+?, last_seen=?, seed=?, strategy=?, spec=?,"
            " log=?, trace=?, message=?, unsaved=? WHERE sig=?",
            (
                h.count,
                now,
                h.seed,
                h.strategy,
                spec_json(h.spec),
                h.log,
                h.trace,
                f.message,
                h.unsaved,
                f.sig,
            ),
        )
        result.stale_files += [p for p in owned if p not in h.files]
    else:
        db.execute(
            "UPDATE findings SET count=count+?, last_seen=? WHERE sig=?",
            (h.count, now, f.sig),
        )
        result.stale_files += [p for p in h.files if p not in owned]


def read(r: Sequence[Any], rel: Rel) -> FindingRow:
    """One row of ``SELECT COLS``, every field checked (StoreDamaged otherwise): its signature
    must be its fields' and its spec its seed's."""
    sig, kind, scenario, variant, oracle, label, message = (
        as_str(v, f"finding {n}")
        for n, v in zip(
            ("sig", "kind", "scenario", "variant", "oracle", "label", "message"),
            r[:7],
            strict=True,
        )
    )
    head = f"findings row (sig {sig[:20]!r})"
    if kind not in KINDS:
        raise StoreDamaged(f"{head}: kind {kind[:30]!r} is not one of {', '.join(KINDS)}")
    expected = as_int(r[7], f"{head}: expected")
    if expected not in (0, 1):
        raise StoreDamaged(f"{head}: expected is {expected}, not 0 or 1")
    f = Finding(kind, scenario, variant, oracle, label, message, bool(expected))
    if f.sig != sig:
        raise StoreDamaged(f"finding {sig[:20]!r} does not match its fields")
    spec = spec_from_json(r[11])
    seed, strategy = as_int(r[9], "finding seed"), as_str(r[10], "finding strategy")
    if (spec.seed, spec.strategy) != (seed, strategy):
        raise StoreDamaged(f"finding {f.sig}: its spec is not its seed's")
    count = as_int(r[8], "finding count")
    if count < 1:
        raise StoreDamaged(f"{head}: count is {count}, expected an integer >= 1")
    return FindingRow(
        sig=sig,
        kind=kind,
        scenario=scenario,
        variant=variant,
        oracle=oracle,
        label=label,
        message=message,
        expected=f.expected,
        count=count,
        seed=seed,
        strategy=strategy,
        spec=spec,
        log=rel(r[12]),
        trace=rel(r[13]),
        first_seen=as_time(r[14], "finding first_seen"),
        last_seen=as_time(r[15], "finding last_seen"),
        unsaved=None if r[16] is None else as_str(r[16], "finding unsaved"),
    )


def referenced(db: sqlite3.Connection) -> set[str]:
    """Every artifact path a finding refers to, as stored."""
    out: set[str] = set()
    for log, trace in db.execute("SELECT log, trace FROM findings"):
        out.update(str(p) for p in (log, trace) if p)
    return out
