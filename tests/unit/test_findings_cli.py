"""Bad input to ``pcemu soak`` and ``pcemu findings``: one line naming the value and the fix,
exit status 2, before any worker starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli import main
from emulator.cli.soak import parse_duration, parse_listen
from emulator.soak.rows import BatchRow
from emulator.soak.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    err = capsys.readouterr().err
    return int(exc.value.code or 0), err


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("10m") == 600
    assert parse_duration("1h30m") == 5400
    assert parse_duration("1d") == 86400


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("0.0.0.0:9477") == ("0.0.0.0", 9477)
    assert parse_listen("[::1]:80") == ("::1", 80)
    assert parse_listen(":9000") == ("127.0.0.1", 9000)
    assert parse_listen("off") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "soon"], "--duration 'soon' is not a duration; write e.g. 90s, 10m"),
        (["--shard", "2/2"], "--shard '2/2' is not I/N with 0 <= I < N"),
        (["--listen", "localhost"], "--listen 'localhost' is not HOST:PORT"),
        (["--selfcheck", "2"], "--selfcheck 2 must be a fraction between 0 and 1"),
        (["--workers", "0"], "--workers 0 must be at least 1"),
        (["--watchdog", "0.5"], "--watchdog 0.5 must be a finite number of seconds, at least 1"),
        (["--scenarios", "nope"], "unknown scenario 'nope'"),
        (["--strategies", "dfs"], "unknown strategy 'dfs' in --strategies"),
        (["--variants", "sideways"], "variant 'sideways' in --variants is not a variant"),
        (["--duration", "nan"], "--duration 'nan' must be a finite time longer than zero"),
        (["--duration", "inf"], "--duration 'inf' must be a finite time longer than zero"),
        (["--duration", "-5"], "--duration '-5' must be a finite time longer than zero"),
        (["--watchdog", "nan"], "--watchdog nan must be a finite number of seconds, at least 1"),
        (["--watchdog", "inf"], "--watchdog inf must be a finite number of seconds"),
        (["--heartbeat", "nan"], "--heartbeat nan must be a finite number of seconds above zero"),
        (["--heartbeat", "-1"], "--heartbeat -1 must be a finite number of seconds above zero"),
        (["--grace", "nan"], "--grace nan must be a finite number of seconds, zero or more"),
        (["--grace", "-1"], "--grace -1 must be a finite number of seconds, zero or more"),
        (["--grace", "inf"], "--grace inf must be a finite number of seconds, zero or more"),
        (["--workers", "1000"], "--workers 1000 is more than "),
        (["--batch", "1000000"], "--batch 1000000 is more than 10000: a batch is what a kill"),
        (["--seeds", str(2**63)], f"--seeds {2**63} is more than {2**62}"),
        # Digits int() refuses (a superscript passes str.isdigit()), or has too many of.
        (["--listen", "127.0.0.1:\u00b2"], "--listen '127.0.0.1:\u00b2' is not HOST:PORT"),
        (["--listen", ":" + "9" * 5000], "--listen ':99999"),
        (["--shard", "auto/\u00b2"], "--shard 'auto/\u00b2': write auto/N with N >= 1"),
        (["--shard", "0/" + "9" * 5000], "--shard '0/99999"),
        (["--shard", "0/\u0663"], "--shard '0/\u0663' is not I/N with 0 <= I < N"),
        # So many shards that a shard's seeds would pass 2**64 - 1 within a soak.
        (["--shard", f"0/{2**64 - 1}"], f"--shard '0/{2**64 - 1}' splits the seeds "),
        (["--shard", "auto/10000001"], "--shard 'auto/10000001' splits the seeds 10,000,001 "),
        # Values of click's own types (int, float, a choice), in pcemu's words, not click's.
        (["--batch", "abc"], "--batch 'abc' is not a whole number; give one such as --batch 50"),
        (["--workers", "1.5"], "--workers '1.5' is not a whole number; give one such as "),
        (["--seeds", "ten"], "--seeds 'ten' is not a whole number; give one such as --seeds "),
        (
            ["--selfcheck", "x"],
            "--selfcheck 'x' is not a number; give one such as --selfcheck 0.05",
        ),
        (["--watchdog", "1m"], "--watchdog '1m' is not a number; give one such as --watchdog 60"),
        (["--progress", "tty"], "--progress 'tty' is not a progress display; give auto, rich, "),
        (["--fail-on", "any"], "--fail-on 'any' is not a policy; give never or unexpected"),
        # A value thousands of characters long is quoted cut short, with its length.
        (["--duration", "x" * 5000], f"--duration '{'x' * 60}... (5,000 characters)' is not a"),
        (["--batch", "9" * 5000], f"--batch '{'9' * 60}... (5,000 characters)' has far too many"),
        (["--workers", "9" * 4000], f"--workers {'9' * 60}... (4,000 characters) is more than "),
        (["--seeds", "1" * 200], f"--seeds {'1' * 60}... (200 characters) is more than "),
        (["--strategies", "x" * 5000], f"unknown strategy '{'x' * 60}... (5,000 characters)' in"),
        (["--variants", "v" * 5000], f"variant '{'v' * 60}... (5,000 characters)' in --variants"),
        (["--shard", "s" * 5000], f"--shard '{'s' * 60}... (5,000 characters)' is not I/N"),
        (["--listen", ":" + "9" * 5000], f"--listen ':{'9' * 59}... (5,001 characters)' is not"),
    ],
)
def test_bad_soak_arguments(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(capsys, "soak", "--out", str(tmp_path / "o"), *args)
    assert code == 2
    assert err.startswith("pcemu: error: ") and message in err
    assert err.count("\n") == 1 and len(err) < 1000  # a long value is not echoed in full


def test_a_soak_directory_is_continued_only_with_resume_and_the_same_layout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = Store(tmp_path)
    store.set_meta(batch="50", shard="0/1", seeds="100")
    store.commit_batch(BatchRow("anon-vma-reuse|buggy|chaos", "0/1", 0, 0, 49, 50, 1, 0), [], 1)
    store.close()
    code, err = run(capsys, "soak", "--out", str(tmp_path), "--seeds", "100")
    assert code == 2 and "already holds a soak; pass --resume to continue it" in err
    code, err = run(
        capsys, "soak", "--out", str(tmp_path), "--seeds", "100", "--batch", "20", "--resume"
    )
    assert code == 2 and "was started with --batch 50; resume it with the same --batch" in err
    code, err = run(capsys, "soak", "--out", str(tmp_path), "--resume")
    assert code == 2 and "was started with --seeds 100; resume it with the same --seeds" in err


def test_findings_of_a_directory_without_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(capsys, "findings", str(tmp_path / "nothing"))
    assert code == 2 and "holds no findings store (findings.db)" in err
    code, err = run(capsys, "findings", str(tmp_path), "--merge", str(tmp_path / "nothing"))
    assert code == 2 and "holds no findings store" in err


def test_shard_comes_from_pcemu_shard_when_not_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCEMU_SHARD", "5/2")
    code, err = run(capsys, "soak", "--out", str(tmp_path / "o"))
    assert code == 2 and "--shard '5/2' is not I/N" in err
    monkeypatch.setenv("PCEMU_SHARD", "auto/x")
    code, err = run(capsys, "soak", "--out", str(tmp_path / "o"))
    assert code == 2 and "--shard 'auto/x': write auto/N with N >= 1" in err


def test_out_must_be_a_writable_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    code, err = run(capsys, "soak", "--out", str(afile), "--listen", "off")
    assert code == 2 and err.count("\n") == 1
    assert f"--out '{afile}' is a file, not a directory; give a directory" in err

    def refuse(*_a: object, **_k: object) -> None:
        raise PermissionError(13, "Permission denied")

    import tempfile

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    code, err = run(capsys, "soak", "--out", str(tmp_path / "ro"), "--listen", "off")
    assert code == 2 and err.count("\n") == 1
    assert f"--out '{tmp_path / 'ro'}' is not writable (Permission denied); give a" in err
