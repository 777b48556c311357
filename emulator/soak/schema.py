"""The findings store's tables, and the check that an existing file really is such a store
(of this format) before anything reads or writes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from emulator.errors import BadInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL, reason TEXT, argv TEXT,
    runs INTEGER NOT NULL DEFAULT 0, steps INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0, abandoned INTEGER NOT NULL DEFAULT 0,
    checks INTEGER NOT NULL DEFAULT 0, restarts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS batches (
    lane TEXT NOT NULL, shard TEXT NOT NULL, k INTEGER NOT NULL,
    seed_lo INTEGER NOT NULL, seed_hi INTEGER NOT NULL, runs INTEGER NOT NULL,
    steps INTEGER NOT NULL, failures INTEGER NOT NULL, session INTEGER, committed REAL NOT NULL,
    PRIMARY KEY (lane, shard, k));
CREATE TABLE IF NOT EXISTS hits (
    lane TEXT NOT NULL, shard TEXT NOT NULL, k INTEGER NOT NULL, sig TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (lane, shard, k, sig));
CREATE TABLE IF NOT EXISTS findings (
    sig TEXT PRIMARY KEY, kind TEXT NOT NULL, scenario TEXT NOT NULL, variant TEXT NOT NULL,
    oracle TEXT NOT NULL, label TEXT NOT NULL, message TEXT NOT NULL, expected INTEGER NOT NULL,
    count INTEGER NOT NULL, seed INTEGER NOT NULL, strategy TEXT NOT NULL, spec TEXT NOT NULL,
    log TEXT, trace TEXT, first_seen REAL NOT NULL, last_seen REAL NOT NULL, unsaved TEXT);
CREATE TABLE IF NOT EXISTS coverage (
    scenario TEXT NOT NULL, kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
    session INTEGER, first_seen REAL NOT NULL, PRIMARY KEY (scenario, kind, a, b));
"""
# The coverage of the runs committed so far, per scenario: one row per reads-from pair
# (kind "rf": reading label a, writer label b, "" for the initial value) or conflict order
# (kind "order": earlier label a, later label b). A store written before coverage was kept
# gains the (empty) table when it is opened.
COVERAGE_TABLE = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS coverage") :]
OPTIONAL = {"coverage": {"scenario", "kind", "a", "b"}}
# The columns each table must have (a store of format 1 written before ``unsaved`` existed
# gains that column when it is opened).
COLUMNS = {
    "meta": {"key", "value"},
    "sessions": {"id", "started", "ended", "reason", "argv", "runs", "steps", "batches"},
    "batches": {"lane", "shard", "k", "seed_lo", "seed_hi", "runs", "steps", "failures"},
    "hits": {"lane", "shard", "k", "sig", "count"},
    "findings": {"sig", "kind", "scenario", "variant", "oracle", "label", "message", "count"},
}
FIX = "move it away (or restore it from a copy) to start a new store"


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")}


def verify(db: sqlite3.Connection, path: Path, fmt: int) -> None:
    """BadInput (one line naming the file and the fix) unless ``db`` holds exactly the store's
    tables, each with its columns, and says it is of format ``fmt``."""
    names = {
        str(r[0])
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    foreign = sorted(names - set(COLUMNS) - set(OPTIONAL))
    missing = sorted(set(COLUMNS) - names)
    if foreign or missing:
        what = f"table {foreign[0]!r}" if foreign else f"no table {missing[0]!r}"
        raise BadInput(f"{str(path)!r} is not a findings store ({what}); {FIX}")
    tables = {**COLUMNS, **{t: c for t, c in OPTIONAL.items() if t in names}}
    for table, cols in tables.items():
        lost = sorted(cols - columns(db, table))
        if lost:
            raise BadInput(
                f"{str(path)!r} is not a findings store (table {table} has no column "
                f"{lost[0]!r}); {FIX}"
            )
    row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
    have = None if row is None else str(row[0])
    if have != str(fmt):
        raise BadInput(
            f"{str(path)!r} has store format {have!r}; this pcemu reads format {fmt}: use the "
            f"pcemu that wrote it, or {FIX}"
        )
