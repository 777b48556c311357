"""The coverage table of the store: the reads-from pairs (kind ``rf``) and conflict orders
(kind ``order``) committed runs showed, per scenario. Rows are only ever added, inside the
transaction of the batch (or merge) that brings them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from emulator.engine.coverage import Coverage
from emulator.soak.rows import StoreDamaged, as_str

RF, ORDER = "rf", "order"  # coverage row kinds: reads-from pair, conflict order
CovRow = tuple[str, str, str, str]  # (scenario, kind, a, b)


def add(db: sqlite3.Connection, rows: Sequence[CovRow], session: int | None, now: float) -> None:
    if rows:
        db.executemany(
            "INSERT OR IGNORE INTO coverage VALUES (?,?,?,?,?,?)",
            [(*r, session, now) for r in rows],
        )


def read(db: sqlite3.Connection) -> list[CovRow]:
    """Every row, each checked (StoreDamaged otherwise); sqlite3.OperationalError when the
    table is missing, which the store answers for a store written before coverage was kept."""
    cur = db.execute("SELECT scenario, kind, a, b FROM coverage ORDER BY 1, 2, 3, 4")
    out: list[CovRow] = []
    for r in cur.fetchall():
        sc, kind, a, b = (as_str(v, "coverage field") for v in r)
        if kind not in (RF, ORDER):
            raise StoreDamaged(f"coverage kind {kind[:20]!r}")
        out.append((sc, kind, a, b))
    return out


def by_scenario(rows: Sequence[CovRow]) -> dict[str, Coverage]:
    out: dict[str, Coverage] = {}
    for sc, kind, a, b in rows:
        c = out.setdefault(sc, Coverage())
        (c.reads_from if kind == RF else c.orders).add((a, b))
    return out
