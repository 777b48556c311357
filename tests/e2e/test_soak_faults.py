"""A scenario that raises, one that hangs past the watchdog and one that kills its worker are
each recorded as findings with their seeds; the workers are replaced and the soak goes on."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.soak_helpers import Soak, findings, pcemu, script, truncated_seeds

SEEDS = 8


def test_raise_hang_and_dead_worker_are_findings_and_the_soak_goes_on(tmp_path: Path) -> None:
    bad = truncated_seeds(tmp_path, range(SEEDS))
    assert 1 <= len(bad) < SEEDS  # the test needs seeds that misbehave and seeds that do not
    raising, spinning, dying = (script(tmp_path, m) for m in ("raise", "spin", "die"))
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios",
        f"{raising},{spinning},{dying},anon-vma-reuse",
        "--strategies",
        "chaos",
        "--workers",
        "2",
        "--batch",
        "4",
        "--seeds",
        str(SEEDS),
        "--watchdog",
        "2",
        "--selfcheck",
        "0",
        cwd=tmp_path,
    )
    assert soak.wait(180) == 0, soak.log()
    s = soak.summary()
    # Every run of every lane was made and committed, anon-vma-reuse's included.
    assert s["stop_reason"] == "seeds done"
    assert s["runs_committed"] == SEEDS * 5  # 3 scripts x buggy + anon-vma-reuse x buggy, fixed
    assert s["runs_by_scenario"]["anon-vma-reuse"] == 2 * SEEDS
    assert s["worker_restarts"] == 2 * len(bad)  # every hang and every death, nothing else

    got = findings(out)
    line = (
        raising.read_text()
        .splitlines()
        .index('                    raise RuntimeError("page truncated under us")')
        + 1
    )
    # Named by the exception, where it was raised, and the label of the actor's last step.
    err = got[
        (
            "emulator-error",
            str(raising),
            "buggy",
            f"RuntimeError@soak_raise.py:{line} in invalidate",
            "D2",
        )
    ]
    assert err[:2] == (len(bad), bad[0])
    hang = got[("hang", str(spinning), "buggy", "watchdog", "-")]
    assert hang[:2] == (len(bad), bad[0])
    died = got[("emulator-error", str(dying), "buggy", "worker-died", "exit status 7")]
    assert died[:2] == (len(bad), bad[0])

    listing = pcemu("findings", str(out), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = {ln.split()[2]: ln for ln in listing.stdout.splitlines()[1:]}
    # No trace of a run that never finished: its seed is the reproducer.
    assert lines[str(spinning)].endswith(
        f"pcemu run {spinning} --variant buggy --seed {bad[0]} --strategy chaos"
    )
    assert "pcemu replay " in lines[str(raising)]
    trace = lines[str(raising)].rsplit(" ", 1)[1]
    # A recording of a user script replays only when the user names the script.
    done = pcemu("replay", "-q", trace, "--script", str(raising), cwd=tmp_path)
    assert done.returncode == 0 and "replay: reproduced (error" in done.stdout, done.stdout
