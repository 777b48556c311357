"""The findings store: one SQLite database per soak directory, in WAL mode.

Tables:

- ``meta``: store id, format version, the shard, batch size and batch layout of the soak
- ``sessions``: one row per ``pcemu soak`` invocation (start, end, why it stopped, totals)
- ``batches``: one row per committed batch of seeds (lane, shard, k); self-check rounds are
  rows of lane ``selfcheck``
- ``hits``: how many runs of a batch hit each finding signature
- ``findings``: one row per signature: count, smallest reproducing seed, its artifact files
  (or, in ``unsaved``, why they could not be written)
- ``coverage``: the reads-from pairs (kind ``rf``) and conflict orders (kind ``order``) the
  committed runs showed, per scenario; rows are only ever added, in the transaction of the
  batch whose runs showed them, so a kill never loses a committed pair nor leaves one whose
  batch is not committed

A batch row, its hits and the finding updates go in one transaction, so after a SIGKILL a batch
is either wholly in the store or not at all: ``--resume`` re-runs exactly the batches that are
not. Artifact paths are stored relative to the store's directory (``paths``), so a directory can
be moved, copied out of a container or merged (``merge``). The rows of the findings and coverage
tables are written and read back in ``store_findings`` and ``store_coverage``.

Nothing read from the file is trusted: a store that is empty, damaged, of another program or
holds values of the wrong type is refused with one line naming the file and the fix, never
replaced and never half-used.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from emulator.engine.coverage import Coverage
from emulator.errors import BadInput
from emulator.soak import paths, schema, store_coverage, store_findings
from emulator.soak.plan import Committed
from emulator.soak.rows import (
    BATCH_COLS,
    CHECK_LANE,
    BatchRow,
    CommitResult,
    FindingRow,
    Hit,
    StoreDamaged,
    as_int,
    batch_row,
    hit_rows,
    merge_hits,
)
from emulator.soak.schema import FIX
from emulator.soak.store_coverage import CovRow

DB_NAME = "findings.db"
FORMAT = 1


def one_line(exc: Exception, most: int = 120) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= most else text[: most - 3] + "..."


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@dataclass(frozen=True)
class StoreRows:
    """Every row of a store, read and checked (``Store.check``)."""

    batches: list[BatchRow]
    hits: dict[tuple[str, str, int], list[tuple[str, int]]]  # by batch (lane, shard, k)
    findings: list[FindingRow]
    coverage: list[CovRow]


class Store:
    def __init__(self, directory: Path, create: bool = True) -> None:
        self.dir = directory
        self.path = path = directory / DB_NAME
        if path.exists() or path.is_symlink():
            if not path.is_file():
                raise BadInput(f"{str(path)!r} is not a regular file; {FIX}")
            if path.stat().st_size == 0:
                raise BadInput(f"{str(path)!r} is empty (0 bytes), not a findings store; {FIX}")
        elif not create:
            raise BadInput(
                f"{str(directory)!r} holds no findings store ({DB_NAME}); give the --out "
                "directory of a soak"
            )
        fresh = not path.exists()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            # Text that is not UTF-8 is damage: read it replaced, the checks below refuse it.
            self.db.text_factory = _text
            self._open(fresh)
        except BadInput:
            self.db.close()
            raise
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            with contextlib.suppress(Exception):
                self.db.close()
            raise BadInput(
                f"{str(path)!r} is not a usable findings store ({one_line(exc)}); {FIX}"
            ) from None

    def _open(self, fresh: bool) -> None:
        db = self.db
        if not fresh:
            # Before anything writes: a damaged or foreign file is refused, not repaired.
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {check and check[0]}")
            schema.verify(db, self.path, FORMAT)
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (the soak's
        # contract), without an fsync per batch. A power cut may roll back the last commits,
        # never corrupt the store; runs are deterministic, so --resume re-runs those batches.
        db.execute("PRAGMA synchronous=NORMAL")
        if fresh:
            db.executescript(schema.SCHEMA)
            with self.tx():
                self._set("format", str(FORMAT))
                self._set("store_id", uuid.uuid4().hex)
        else:
            with contextlib.suppress(sqlite3.OperationalError):  # a read-only copy: read as is
                if "unsaved" not in schema.columns(db, "findings"):
                    db.execute("ALTER TABLE findings ADD COLUMN unsaved TEXT")
                if not schema.columns(db, "coverage"):
                    db.executescript(schema.COVERAGE_TABLE)

    def damaged(self, exc: Exception) -> BadInput:
        """The one line for a value of the wrong type or shape found while reading."""
        return BadInput(f"{str(self.path)!r} is damaged ({one_line(exc, 300)}); {FIX}")

    def close(self, checkpoint: bool = False) -> None:
        """Close. A writer that is done (the soak at its end, a merge) passes ``checkpoint``
        to fold the WAL into the database file, leaving one self-contained file; a reader
        must not: the checkpoint would wait for a soak still writing."""
        if checkpoint:
            with contextlib.suppress(sqlite3.Error):
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
                (time.time(), json.dumps(list(argv))),
            )
            return int(cur.lastrowid or 0)

    def end_session(self, sid: int, reason: str, **counts: int) -> None:
        cols = ", ".join(f"{k}=?" for k in counts)
        with self.tx() as db:
            db.execute(
                f"UPDATE sessions SET ended=?, reason=?{', ' if cols else ''}{cols} WHERE id=?",
                (time.time(), reason, *counts.values(), sid),
            )

    # -- batches ----------------------------------------------------------------------------

    def has_batches(self) -> bool:
        return self.db.execute("SELECT 1 FROM batches LIMIT 1").fetchone() is not None

    def batch_rows(self) -> list[BatchRow]:
        """Every row of the batches table, each checked (``rows.batch_row``)."""
        try:
            cur = self.db.execute(f"SELECT {BATCH_COLS} FROM batches ORDER BY lane, shard, k")
            return [batch_row(r) for r in cur.fetchall()]
        except (StoreDamaged, sqlite3.Error, UnicodeDecodeError) as exc:
            raise self.damaged(exc) from None

    def hits(
        self, batches: Sequence[BatchRow], findings: Sequence[FindingRow]
    ) -> dict[tuple[str, str, int], list[tuple[str, int]]]:
        """Every row of the hits table by its batch, each checked against ``batches`` and
        ``findings`` (``rows.hit_rows``)."""
        try:
            cur = self.db.execute("SELECT lane, shard, k, sig, count FROM hits")
            return hit_rows(cur.fetchall(), batches, {f.sig for f in findings})
        except (StoreDamaged, sqlite3.Error, UnicodeDecodeError) as exc:
            raise self.damaged(exc) from None

    def check(self) -> StoreRows:
        """Read every row of the store and check it (its type, its range, and that it agrees
        with the rows it refers to), before anything uses them or writes to the store: a
        damaged store is one BadInput line naming the file, the row and what is wrong."""
        findings = self.findings()
        batches = self.batch_rows()
        hits = self.hits(batches, findings)
        return StoreRows(batches, hits, findings, self.coverage_rows())

    def committed(self, shard: str) -> dict[str, Committed]:
        by: dict[str, list[int]] = {}
        for b in self.batch_rows():
            if b.shard == shard:
                by.setdefault(b.lane, []).append(b.k)
        return {lane: Committed.of(iter(sorted(ks))) for lane, ks in by.items()}

    def totals(self) -> dict[str, int]:
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(runs),0), COALESCE(SUM(steps),0),"
            " COALESCE(SUM(failures),0) FROM batches WHERE lane != ?",
            (CHECK_LANE,),
        ).fetchone()
        checks = self.db.execute(
            "SELECT COALESCE(SUM(runs),0) FROM batches WHERE lane = ?", (CHECK_LANE,)
        ).fetchone()
        try:
            return {
                "batches": as_int(row[0], "batches"),
                "runs": as_int(row[1], "runs"),
                "steps": as_int(row[2], "steps"),
                "failures": as_int(row[3], "failures"),
                "checks": as_int(checks[0], "checks"),
            }
        except StoreDamaged as exc:
            raise self.damaged(exc) from None

    def commit_batch(
        self,
        row: BatchRow,
        hits: Sequence[Hit],
        session: int | None,
        coverage: Sequence[CovRow] = (),
    ) -> CommitResult:
        """The batch row, its hits, the finding updates and the coverage its runs showed: all
        or nothing."""
        now = time.time()
        with self.tx() as db:
            store_coverage.add(db, coverage, session, now)
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
                return CommitResult(False, stale_files=[p for h in hits for p in h.files])
            result = CommitResult(True)
            for h in merge_hits(hits):
                db.execute(
                    "INSERT INTO hits VALUES (?,?,?,?,?)",
                    (row.lane, row.shard, row.k, h.finding.sig, h.count),
                )
                self._upsert(db, h, now, result)
            return result

    def _upsert(self, db: sqlite3.Connection, h: Hit, now: float, result: CommitResult) -> None:
        try:
            store_findings.upsert(db, h, now, result, self.rel)
        except StoreDamaged as exc:
            raise self.damaged(exc) from None

    # -- coverage ---------------------------------------------------------------------------

    def add_coverage(self, rows: Sequence[CovRow], session: int | None = None) -> int:
        """Add coverage rows (a merge); how many were new."""
        with self.tx() as db:
            before = db.total_changes
            store_coverage.add(db, rows, session, time.time())
            return db.total_changes - before

    def coverage_rows(self) -> list[CovRow]:
        """Every coverage row, each checked; none from a store written before coverage was
        kept (and opened read-only since)."""
        try:
            return store_coverage.read(self.db)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise self.damaged(exc) from None
        except (StoreDamaged, sqlite3.Error, UnicodeDecodeError) as exc:
            raise self.damaged(exc) from None

    def coverage(self) -> dict[str, Coverage]:
        """The coverage of every committed run, per scenario."""
        return store_coverage.by_scenario(self.coverage_rows())

    def next_check_k(self, shard: str) -> int:
        row = self.db.execute(
            "SELECT COALESCE(MAX(k)+1, 0) FROM batches WHERE lane=? AND shard=?",
            (CHECK_LANE, shard),
        ).fetchone()
        try:
            return as_int(row[0], "self-check k")
        except StoreDamaged as exc:
            raise self.damaged(exc) from None

    # -- findings ---------------------------------------------------------------------------

    def rel(self, text: object) -> str | None:
        """A stored artifact path, checked (``paths.relative``)."""
        return paths.relative(self.dir, text, self.path)

    def findings(self, sigs: Sequence[str] | None = None) -> list[FindingRow]:
        """Every finding (or those of ``sigs``), in listing order, each checked."""
        where = "" if sigs is None else f" WHERE sig IN ({','.join('?' * len(sigs))})"
        try:
            cur = self.db.execute(
                f"SELECT {store_findings.COLS} FROM findings{where}"
                " ORDER BY kind, scenario, variant, oracle, label",
                tuple(sigs or ()),
            )
            return [store_findings.read(r, self.rel) for r in cur.fetchall()]
        except (StoreDamaged, sqlite3.Error, UnicodeDecodeError) as exc:
            raise self.damaged(exc) from None

    def remove_files(self, rels: Iterable[str]) -> None:
        """Delete artifact files no finding refers to any more. Only paths of the shape the
        store writes, inside its directory, are ever deleted."""
        referenced = store_findings.referenced(self.db)
        for rel in rels:
            if rel in referenced or not paths.inside(self.dir, rel):
                continue
            try:
                rel = self.rel(rel) or ""
            except BadInput:
                continue
            p = self.dir / rel
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                p.unlink()
            with contextlib.suppress(OSError):
                p.parent.rmdir()  # the signature's folder, once empty
