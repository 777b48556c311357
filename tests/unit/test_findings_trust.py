"""Nothing in a findings store is trusted (issue 12): crafted artifact paths, and stores that are
empty, damaged or foreign, are refused with one line naming the file and the fix (exit 2),
before anything is written or deleted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.run.session import RunSpec
from emulator.soak.findings import Finding
from emulator.soak.rows import BatchRow, Hit
from emulator.soak.store import Store

RACE = Finding("violation", "anon-vma-reuse", "buggy", "INV-ID-1", "A7", "reuse", True)
LANE = "anon-vma-reuse|buggy|chaos"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def make_store(d: Path, seed: int = 5, k: int = 0, shard: str = "0/1") -> Store:
    store = Store(d)
    stem = f"findings/{RACE.sig}/chaos-{seed}"
    for ext in (".jsonl", ".pctrace"):
        (d / f"{stem}{ext}").parent.mkdir(parents=True, exist_ok=True)
        (d / f"{stem}{ext}").write_text(f"{seed}{ext}")
    spec = RunSpec(scenario="anon-vma-reuse", variant="buggy", seed=seed, strategy="chaos")
    hit = Hit(RACE, 1, seed, "chaos", spec, f"{stem}.jsonl", f"{stem}.pctrace")
    store.commit_batch(BatchRow(LANE, shard, k, seed, seed, 1, 30, 1), [hit], 1)
    return store


def set_paths(d: Path, log: str | None, trace: str | None) -> None:
    db = sqlite3.connect(d / "findings.db")
    db.execute("UPDATE findings SET log=?, trace=?", (log, trace))
    db.commit()
    db.close()


def test_merge_never_writes_outside_its_target_through_dotdot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "t" / "a", tmp_path / "b"
    make_store(a, seed=20).close()
    make_store(b, seed=3, shard="1/2").close()
    # B's reproducer is smaller, so a merge would copy its file into A, at a path that climbs.
    evil = "findings/../../escaped.pctrace"
    (b / evil).write_text("payload")  # tmp/escaped.pctrace; in A it would be tmp/t/escaped...
    set_paths(b, None, evil)
    code, _out, err = run(capsys, "findings", str(a), "--merge", str(b))
    assert code == 2 and err.count("\n") == 1
    assert f"'{b / 'findings.db'}' names an artifact {evil!r} outside its findings/" in err
    assert not (tmp_path / "t" / "escaped.pctrace").exists()


def test_merge_never_deletes_a_file_named_by_an_absolute_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    make_store(a, seed=3).close()
    make_store(b, seed=20, shard="1/2").close()
    set_paths(a, str(victim), str(victim))  # A's row points at a file A does not own
    code, _out, err = run(capsys, "findings", str(a), "--merge", str(b))
    assert code == 2 and "outside its findings/ folder" in err and err.count("\n") == 1
    assert victim.read_text() == "keep me"


def test_a_soak_on_a_crafted_store_deletes_nothing_outside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "soak"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    store = make_store(out, seed=10**6)
    store.set_meta(batch="50", shard="0/1", seeds="3", layout="ramp")
    store.close()
    set_paths(out, str(victim), "findings/../../victim.txt")
    code, _out, err = run(
        capsys,
        "soak", "--out", str(out), "--resume", "--listen", "off", "--progress", "off",
        "--scenarios", "anon-vma-reuse", "--variants", "buggy", "--strategies", "chaos",
        "--seeds", "3", "--workers", "1",
    )  # fmt: skip
    assert code == 2 and "outside its findings/ folder" in err and err.count("\n") == 1
    assert victim.read_text() == "keep me"


def test_absolute_paths_inside_the_store_of_old_stores_are_read_as_relative(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "old"
    make_store(d).close()
    stem = d / "findings" / RACE.sig / "chaos-5"
    set_paths(d, f"{stem}.jsonl", f"{stem}.pctrace")
    store = Store(d, create=False)
    (f,) = store.findings()
    store.close()
    assert (f.log, f.trace) == (
        f"findings/{RACE.sig}/chaos-5.jsonl",
        f"findings/{RACE.sig}/chaos-5.pctrace",
    )
    code, out, _err = run(capsys, "findings", str(d))
    assert code == 0 and out.splitlines()[1].endswith(f"pcemu replay {stem}.pctrace")


def test_a_symlinked_findings_folder_leading_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "s"
    make_store(d).close()
    elsewhere = tmp_path / "elsewhere"
    (d / "findings").rename(elsewhere)
    (d / "findings").symlink_to(elsewhere)
    code, _out, err = run(capsys, "findings", str(d))
    assert code == 2 and "outside its findings/ folder" in err


def _zero(db: Path) -> None:
    db.write_bytes(b"")


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database at all\n" * 200)


def _pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xa5" * 4096  # the second page overwritten
    db.write_bytes(bytes(data))


def _not_json(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE findings SET spec='{not json'")
    con.commit()
    con.close()


def _foreign(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE cats (name TEXT)")
    con.commit()
    con.close()


def _type_swap(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE findings SET seed='five'")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_zero, "is empty (0 bytes), not a findings store"),
        (_garbage, "is not a usable findings store"),
        (_pages, "findings store"),
        (_not_json, "is damaged (spec is not JSON"),
        (_foreign, "is not a findings store (table 'cats')"),
        (_type_swap, "is damaged (finding seed is not an integer"),
    ],
)
def test_a_damaged_store_is_refused_not_replaced(
    damage: object, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "soak"
    store = make_store(d)
    store.set_meta(batch="50", shard="0/1", seeds="3", layout="ramp")
    for k in range(1, 40):  # enough rows for a second page
        store.commit_batch(BatchRow(LANE, "0/1", k, k, k, 1, 30, 0), [], 1)
    store.close(checkpoint=True)
    db = d / "findings.db"
    assert callable(damage)
    damage(db)
    before = db.read_bytes()
    for argv in (
        ["findings", str(d)],
        ["findings", str(tmp_path / "m"), "--merge", str(d)],
        ["soak", "--out", str(d), "--resume", "--listen", "off", "--progress", "off",
         "--scenarios", "anon-vma-reuse", "--seeds", "3", "--workers", "1"],
    ):  # fmt: skip
        code, _out, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        assert err.startswith(f"pcemu: error: '{db}' ") and says in err, err
        assert "move it away" in err or "restore it" in err, err
        assert err.count("\n") == 1
        assert db.read_bytes() == before  # nothing repaired, nothing replaced
