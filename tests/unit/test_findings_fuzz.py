"""Fuzzing the findings store's readers: a real store, truncated, with bytes flipped, values
of the wrong type swapped into its columns and JSON fields, and huge values, read by
``pcemu findings`` (table and --json) and merged by ``findings --merge``. Every outcome is
exit 0 or exit 2 with one line: no traceback, no hang. Bounded to about 20 s."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.cli import main
from emulator.run.session import RunSpec
from emulator.soak.findings import Finding
from emulator.soak.rows import BatchRow, Hit
from emulator.soak.store import Store

HANG = 15  # seconds one command may take before it counts as a hang


def _base() -> Path:
    """A small real store: two findings with files, one without (a watchdog hang)."""
    d = Path(tempfile.mkdtemp(prefix="pcemu-fuzz-base-"))
    store = Store(d)
    race = Finding("violation", "anon-vma-reuse", "buggy", "INV-ID-1", "A7", "reuse", True)
    hang = Finding("hang", "anon-vma-reuse", "fixed", "watchdog", "-", "no progress")
    hits = []
    for f, seed, files in ((race, 5, True), (race, 9, False), (hang, 2, False)):
        spec = RunSpec(scenario=f.scenario, variant=f.variant, seed=seed, strategy="chaos")
        log = trace = None
        if files:
            stem = f"findings/{f.sig}/chaos-{seed}"
            log, trace = f"{stem}.jsonl", f"{stem}.pctrace"
            for rel in (log, trace):
                (d / rel).parent.mkdir(parents=True, exist_ok=True)
                (d / rel).write_text(rel)
        hits.append(Hit(f, 1, seed, "chaos", spec, log, trace))
    for k, h in enumerate(hits):
        lane = f"anon-vma-reuse|{h.finding.variant}|chaos"
        store.commit_batch(BatchRow(lane, "0/1", k, k, k + 9, 10, 300, 1), [h], 1)
    store.close(checkpoint=True)
    return d


BASE = _base()
SIZE = (BASE / "findings.db").stat().st_size
FINDING_COLUMNS = (
    "sig", "kind", "scenario", "variant", "oracle", "label", "message", "expected", "count",
    "seed", "strategy", "spec", "log", "trace", "first_seen", "last_seen", "unsaved",
)  # fmt: skip
COLUMNS = (
    [("findings", c) for c in FINDING_COLUMNS]
    + [("batches", c) for c in ("lane", "shard", "k", "seed_lo", "seed_hi", "runs")]
    + [("hits", "sig"), ("hits", "count"), ("meta", "value")]
)
VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.just("x" * 200_000),
    st.just("[" * 50_000),
    st.just("/etc/passwd"),
    st.just("findings/../../x.pctrace"),
)
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
SPEC_KEYS = ["scenario", "variant", "seed", "strategy", "strategy_params", "schedule", "options"]

mutations = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, SIZE)),
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(st.integers(0, SIZE - 1), st.integers(1, 255)), min_size=1, max_size=12),
    ),
    st.tuples(st.just("column"), st.sampled_from(COLUMNS), VALUES),
    st.tuples(st.just("spec"), st.sampled_from(SPEC_KEYS), JSON_VALUES),
)


def mutate(db: Path, m: tuple[Any, ...]) -> None:
    kind = m[0]
    if kind == "truncate":
        with db.open("r+b") as f:
            f.truncate(m[1])
    elif kind == "flip":
        data = bytearray(db.read_bytes())
        for at, x in m[1]:
            data[at] ^= x
        db.write_bytes(bytes(data))
    else:
        con = sqlite3.connect(db)
        if kind == "column":
            (table, col), value = m[1], m[2]
            with contextlib.suppress(sqlite3.IntegrityError):  # NOT NULL, keys: no mutation
                con.execute(f"UPDATE {table} SET {col}=?", (value,))
        else:
            for sig, text in con.execute("SELECT sig, spec FROM findings").fetchall():
                spec = json.loads(text)
                spec[m[1]] = m[2]
                con.execute("UPDATE findings SET spec=? WHERE sig=?", (json.dumps(spec), sig))
        con.commit()
        con.close()


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def hung(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"hang: more than {seconds}s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def pcemu(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with (
        deadline(HANG),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
    return code, err.getvalue()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(m=mutations, command=st.sampled_from(["list", "json", "merge"]))
def test_a_mutated_store_gives_exit_0_or_one_line_and_exit_2(
    m: tuple[Any, ...], command: str
) -> None:
    with tempfile.TemporaryDirectory(prefix="pcemu-fuzz-") as tmp:
        d = Path(tmp) / "store"
        shutil.copytree(BASE, d)
        mutate(d / "findings.db", m)
        if command == "merge":
            code, err = pcemu("findings", str(Path(tmp) / "into"), "--merge", str(d))
        else:
            code, err = pcemu("findings", str(d), *(["--json"] if command == "json" else []))
        assert code in (0, 2), err
        if code == 2:
            assert err.startswith("pcemu: error: ") and err.count("\n") == 1, err
        # Nothing was written outside the two directories of this example.
        assert {p.name for p in Path(tmp).iterdir()} <= {"store", "into"}
