"""The user's surface, one package: ``pcemu list | show | run | hunt | replay`` (``app``),
``shrink | explain`` (``debug``), ``soak | findings`` (``soak``); exit codes in ``exits``;
``--json`` output and ``-q``/``-v`` in ``output``.

``main`` imports the commands only when it has to (``pcemu --version`` answers without them),
and turns SIGINT/SIGTERM into a flag before the rest of pcemu is imported, so a signal that
arrives while the command starts up stops it cleanly too (the soak has its own handling).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence

OWN_SIGNALS = ("soak", "findings")


def _command(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _import_app() -> Callable[[Sequence[str]], None]:
    """``emulator.cli.app.main``. Importing the commands builds ~45,000 objects that live as
    long as the process and no garbage: the cyclic collector is off meanwhile, and what was
    built is frozen after (not traversed by a collection until a batch of runs moves it, with
    that batch's results, to the oldest generation: runtime._settle), instead of young
    collections moving all of it up the generations (3.5 % of a hunt's start-up). Only the
    first time: a later ``main`` in the same process (the tests call it in-process) imports
    nothing."""
    starting = "emulator.cli.app" not in sys.modules and gc.isenabled()
    if starting:
        gc.disable()
    try:
        from emulator.cli.app import main as app_main
    finally:
        if starting:
            gc.freeze()
            gc.enable()
    return app_main


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    if args == ["--version"]:
        from emulator import __version__

        print(f"pcemu, version {__version__}")
        sys.exit(0)
    if _command(args) in OWN_SIGNALS:
        app_main = _import_app()
        app_main(args)
        return
    from emulator.run import interrupts

    with interrupts.catching():
        try:
            app_main = _import_app()
        except KeyboardInterrupt:  # a second signal while starting up
            sys.exit(interrupts.exit_status(interrupts.received() or 2))
        sig = interrupts.received()
        if sig is not None:
            print("pcemu: interrupted while starting; nothing done", file=sys.stderr)
            sys.exit(interrupts.exit_status(sig))
        app_main(args)


__all__ = ["main"]
