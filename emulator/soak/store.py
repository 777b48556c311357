"""The findings store: one SQLite database per soak directory, in WAL mode.

Tables:

- ``meta``: store id, format version, the shard and batch size the soak was started with
- ``sessions``: one row per ``pcemu soak`` invocation (start, end, why it stopped, totals)
- ``batches``: one row per committed batch of seeds (lane, shard, k); self-check rounds are
  rows of lane ``selfcheck``
- ``hits``: how many runs of a batch hit each finding signature
- ``findings``: one row per signature: count, smallest reproducing seed, its artifact files

A batch row, its hits and the finding updates go in one transaction, so after a SIGKILL a batch
is either wholly in the store or not at all: ``--resume`` re-runs exactly the batches that are
not. Artifact paths are stored relative to the store's directory, so a directory can be moved,
copied out of a container or merged.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import BadInput
from emulator.soak.findings import Finding
from emulator.soak.plan import Committed

DB_NAME = "findings.db"
FORMAT = 1
CHECK_LANE = "selfcheck"

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
    log TEXT, trace TEXT, first_seen REAL NOT NULL, last_seen REAL NOT NULL);
"""


@dataclass(frozen=True)
class Hit:
    """One signature's runs within one batch: how many, and the smallest reproducer."""

    finding: Finding
    count: int
    seed: int
    strategy: str
    spec: dict[str, Any]
    log: str | None = None  # relative to the store directory
    trace: str | None = None

    @property
    def rank(self) -> tuple[int, str]:
        return (self.seed, self.strategy)


@dataclass(frozen=True)
class BatchRow:
    lane: str
    shard: str
    k: int
    seed_lo: int
    seed_hi: int
    runs: int
    steps: int
    failures: int


@dataclass(frozen=True)
class FindingRow:
    sig: str
    kind: str
    scenario: str
    variant: str
    oracle: str
    label: str
    message: str
    expected: bool
    count: int
    seed: int
    strategy: str
    spec: dict[str, Any]
    log: str | None
    trace: str | None
    first_seen: float
    last_seen: float

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class CommitResult:
    inserted: bool
    new_sigs: list[str] = field(default_factory=list)
    stale_files: list[str] = field(default_factory=list)  # artifacts no row refers to any more


def merge_hits(hits: Iterable[Hit]) -> list[Hit]:
    """One Hit per signature: counts added, the smallest (seed, strategy) kept."""
    by: dict[str, Hit] = {}
    for h in hits:
        old = by.get(h.finding.sig)
        if old is None:
            by[h.finding.sig] = h
            continue
        best = h if h.rank < old.rank else old
        by[h.finding.sig] = Hit(
            best.finding,
            old.count + h.count,
            best.seed,
            best.strategy,
            best.spec,
            best.log,
            best.trace,
        )
    return [by[s] for s in sorted(by)]


class Store:
    def __init__(self, directory: Path, create: bool = True) -> None:
        self.dir = directory
        path = directory / DB_NAME
        if not create and not path.is_file():
            raise BadInput(
                f"{str(directory)!r} holds no findings store ({DB_NAME}); give the --out "
                "directory of a soak"
            )
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (the soak's
            # contract), without an fsync per batch (tens of ms on a loaded disk, as long as
            # the batch itself). A power cut may roll back the last commits, never corrupt
            # the store; runs are deterministic, so --resume re-runs those batches and finds
            # the same findings again.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"{str(path)!r} is not a usable findings store ({exc})") from None
        if self.meta("format") is None:
            with self.tx():
                self._set("format", str(FORMAT))
                self._set("store_id", uuid.uuid4().hex)
        elif self.meta("format") != str(FORMAT):
            raise BadInput(
                f"{str(path)!r} has store format {self.meta('format')}; this pcemu reads "
                f"format {FORMAT}: use the pcemu that wrote it"
            )

    def close(self, checkpoint: bool = False) -> None:
        """Close. A writer that is done (the soak at its end, a merge) passes ``checkpoint``
        to fold the WAL into the database file, leaving one self-contained file; a reader
        must not: the checkpoint would wait for a soak still writing."""
        if checkpoint:
            # If another reader holds the WAL it stays consistent, only not folded in.
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *_: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def tx(self) -> Store._Tx:
        return Store._Tx(self.db)

    # -- meta and sessions ------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def set_meta(self, **kv: str) -> None:
        with self.tx():
            for k, v in kv.items():
                self._set(k, v)

    @property
    def store_id(self) -> str:
        return self.meta("store_id") or "?"

    def begin_session(self, argv: Sequence[str]) -> int:
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO sessions (started, argv) VALUES (?, ?)",
                (time.time(), json.dumps(argv)),
            )
            return int(cur.lastrowid or 0)

    def end_session(self, sid: int, reason: str, **counts: int) -> None:
        cols = ", ".join(f"{k}=?" for k in counts)
        with self.tx() as db:
            db.execute(
                f"UPDATE sessions SET ended=?, reason=?{', ' if cols else ''}{cols} WHERE id=?",
                (time.time(), reason, *counts.values(), sid),
            )

    def sessions(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM sessions ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # -- batches ----------------------------------------------------------------------------

    def has_batches(self) -> bool:
        return self.db.execute("SELECT 1 FROM batches LIMIT 1").fetchone() is not None

    def committed(self, shard: str) -> dict[str, Committed]:
        out: dict[str, Committed] = {}
        lanes = [
            str(r[0])
            for r in self.db.execute("SELECT DISTINCT lane FROM batches WHERE shard=?", (shard,))
        ]
        for lane in lanes:
            cur = self.db.execute(
                "SELECT k FROM batches WHERE lane=? AND shard=? ORDER BY k", (lane, shard)
            )
            out[lane] = Committed.of(int(r[0]) for r in cur)
        return out

    def totals(self) -> dict[str, int]:
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(runs),0), COALESCE(SUM(steps),0),"
            " COALESCE(SUM(failures),0) FROM batches WHERE lane != ?",
            (CHECK_LANE,),
        ).fetchone()
        checks = self.db.execute(
            "SELECT COALESCE(SUM(runs),0) FROM batches WHERE lane = ?", (CHECK_LANE,)
        ).fetchone()
        return {
            "batches": int(row[0]),
            "runs": int(row[1]),
            "steps": int(row[2]),
            "failures": int(row[3]),
            "checks": int(checks[0]),
        }

    def runs_by_lane(self) -> dict[str, int]:
        cur = self.db.execute(
            "SELECT lane, SUM(runs) FROM batches WHERE lane != ? GROUP BY lane ORDER BY lane",
            (CHECK_LANE,),
        )
        return {str(r[0]): int(r[1]) for r in cur}

    def commit_batch(self, row: BatchRow, hits: Sequence[Hit], session: int | None) -> CommitResult:
        """The batch row, its hits and the finding updates: all or nothing."""
        now = time.time()
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO batches VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    row.lane,
                    row.shard,
                    row.k,
                    row.seed_lo,
                    row.seed_hi,
                    row.runs,
                    row.steps,
                    row.failures,
                    session,
                    now,
                ),
            )
            if cur.rowcount == 0:
                # Already committed (a merge of the same store twice, or a bug): counting its
                # hits again would inflate the counts, so nothing else of it is applied.
                return CommitResult(False, stale_files=_files(hits))
            result = CommitResult(True)
            for h in merge_hits(hits):
                db.execute(
                    "INSERT INTO hits VALUES (?,?,?,?,?)",
                    (row.lane, row.shard, row.k, h.finding.sig, h.count),
                )
                self._upsert(db, h, now, result)
            return result

    def _upsert(self, db: sqlite3.Connection, h: Hit, now: float, result: CommitResult) -> None:
        f = h.finding
        old = db.execute(
            "SELECT seed, strategy, log, trace FROM findings WHERE sig=?", (f.sig,)
        ).fetchone()
        if old is None:
            db.execute(
                "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    json.dumps(h.spec, sort_keys=True),
                    h.log,
                    h.trace,
                    now,
                    now,
                ),
            )
            result.new_sigs.append(f.sig)
            return
        if h.rank < (int(old[0]), str(old[1])):
            db.execute(
                "UPDATE findings SET count=count+?, last_seen=?, seed=?, strategy=?, spec=?,"
                " log=?, trace=?, message=? WHERE sig=?",
                (
                    h.count,
                    now,
                    h.seed,
                    h.strategy,
                    json.dumps(h.spec, sort_keys=True),
                    h.log,
                    h.trace,
                    f.message,
                    f.sig,
                ),
            )
            result.stale_files += [p for p in (old[2], old[3]) if p and p not in (h.log, h.trace)]
        else:
            db.execute(
                "UPDATE findings SET count=count+?, last_seen=? WHERE sig=?",
                (h.count, now, f.sig),
            )
            result.stale_files += [p for p in (h.log, h.trace) if p and p not in (old[2], old[3])]

    def next_check_k(self, shard: str) -> int:
        row = self.db.execute(
            "SELECT COALESCE(MAX(k)+1, 0) FROM batches WHERE lane=? AND shard=?",
            (CHECK_LANE, shard),
        ).fetchone()
        return int(row[0])

    # -- findings ---------------------------------------------------------------------------

    def findings(self) -> list[FindingRow]:
        cur = self.db.execute(
            "SELECT sig, kind, scenario, variant, oracle, label, message, expected, count, seed,"
            " strategy, spec, log, trace, first_seen, last_seen FROM findings"
            " ORDER BY kind, scenario, variant, oracle, label"
        )
        return [
            FindingRow(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                str(r[5]),
                str(r[6]),
                bool(r[7]),
                int(r[8]),
                int(r[9]),
                str(r[10]),
                dict(json.loads(r[11])),
                r[12],
                r[13],
                float(r[14]),
                float(r[15]),
            )
            for r in cur.fetchall()
        ]

    def known(self) -> dict[str, tuple[int, str]]:
        """Signature -> the (seed, strategy) of its current reproducer."""
        cur = self.db.execute("SELECT sig, seed, strategy FROM findings")
        return {str(r[0]): (int(r[1]), str(r[2])) for r in cur}

    # -- merge ------------------------------------------------------------------------------

    def merge(self, other: Store) -> dict[str, int]:
        """Add another store's batches (those this one does not hold) with their hits; take
        its reproducer where it is smaller, copying its artifact files."""
        theirs = {f.sig: f for f in other.findings()}
        batches = other.db.execute(
            "SELECT lane, shard, k, seed_lo, seed_hi, runs, steps, failures FROM batches"
        ).fetchall()
        added = 0
        for b in batches:
            row = BatchRow(*(b[:3]), *(int(x) for x in b[3:]))
            cur = other.db.execute(
                "SELECT sig, count FROM hits WHERE lane=? AND shard=? AND k=?", (b[0], b[1], b[2])
            )
            hits = []
            for sig, count in cur.fetchall():
                f = theirs[str(sig)]
                hits.append(self._import_hit(other, f, int(count)))
            res = self.commit_batch(row, hits, None)
            added += int(res.inserted)
            self.remove_files(res.stale_files)
        return {"batches": added, "of": len(batches), "findings": len(theirs)}

    def _import_hit(self, other: Store, f: FindingRow, count: int) -> Hit:
        finding = Finding(f.kind, f.scenario, f.variant, f.oracle, f.label, f.message, f.expected)
        mine = self.known().get(f.sig)
        log, trace = f.log, f.trace
        if mine is None or (f.seed, f.strategy) < mine:
            for rel in (log, trace):
                if rel and (other.dir / rel).is_file():
                    dst = self.dir / rel
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    if not dst.exists():
                        shutil.copyfile(other.dir / rel, dst)
        return Hit(finding, count, f.seed, f.strategy, f.spec, log, trace)

    def remove_files(self, rels: Iterable[str]) -> None:
        referenced = self._referenced()
        for rel in rels:
            if rel in referenced:
                continue
            p = self.dir / rel
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            with contextlib.suppress(OSError):
                p.parent.rmdir()  # the signature's folder, once empty

    def _referenced(self) -> set[str]:
        out: set[str] = set()
        for log, trace in self.db.execute("SELECT log, trace FROM findings"):
            out.update(p for p in (log, trace) if p)
        return out


def _files(hits: Iterable[Hit]) -> list[str]:
    return [p for h in hits for p in (h.log, h.trace) if p]
