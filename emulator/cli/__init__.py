"""The user's surface, one package: ``pcemu list | show | run | hunt | replay`` (``app``),
``shrink | explain`` (``debug``), ``soak | findings`` (``soak``); exit codes in ``exits``;
``--json`` output and ``-q``/``-v`` in ``output``.

``main`` turns SIGINT/SIGTERM into a flag before the rest of pcemu is imported, so a signal
that arrives while the command starts up stops it cleanly too (the soak has its own handling).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from emulator.run import interrupts

OWN_SIGNALS = ("soak", "findings")


def _command(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    if _command(args) in OWN_SIGNALS:
        from emulator.cli.app import main as app_main

        app_main(args)
        return
    with interrupts.catching():
        try:
            from emulator.cli.app import main as app_main
        except KeyboardInterrupt:  # a second signal while starting up
            sys.exit(interrupts.exit_status(interrupts.received() or 2))
        sig = interrupts.received()
        if sig is not None:
            print("pcemu: interrupted while starting; nothing done", file=sys.stderr)
            sys.exit(interrupts.exit_status(sig))
        app_main(args)


__all__ = ["main"]
