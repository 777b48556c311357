"""Running the pcemu command in-process, as most end-to-end tests do (the soak and signal tests
start a real process instead)."""

from __future__ import annotations

import pytest

from emulator.cli import main


def pcemu(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The exit status, standard output and standard error of ``pcemu ARGV``."""
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out, err = capsys.readouterr()
    code = e.value.code
    return (code if isinstance(code, int) else 1), out, err
