"""The user's surface, one package: ``pcemu list | run | hunt | replay`` (``app``), ``shrink |
explain`` (``debug``), ``soak | findings`` (``soak``); exit codes in ``exits``.

``main`` imports the commands only when it has to: ``pcemu --version`` answers without them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from emulator import __version__

        print(f"pcemu, version {__version__}")
        sys.exit(0)
    from emulator.cli.app import main as run_cli

    run_cli(argv)


__all__ = ["main"]
