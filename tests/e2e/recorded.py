"""A real recording (log and trace of one run) for the tests that damage or mutate one."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli import main


def record_run(d: Path) -> Path:
    """Record anon-vma-reuse seed 662 as ``d/r.jsonl`` and ``d/r.pctrace`` (the tests damage
    its files; they need a run, not a failing one)."""
    with pytest.raises(SystemExit):
        main(
            [
                "run",
                "anon-vma-reuse",
                "--seed",
                "662",
                "--log",
                str(d / "r.jsonl"),
                "--trace",
                str(d / "r.pctrace"),
                "-q",
            ]
        )
    return d
