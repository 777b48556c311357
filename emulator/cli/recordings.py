"""What the commands that read a recording share: ``FILE`` or ``--finding ID --from DIR``,
``--script PATH``, and running a command with SIGINT/SIGTERM turned into a flag. Kept apart from
``debug`` (shrink, explain) so ``run``, ``hunt`` and ``replay`` need not import those."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from emulator.cli.options import PATH
from emulator.engine.strategies import has_campaign
from emulator.errors import BadInput, cut
from emulator.run import interrupts


def finding_file(directory: Path, ident: str) -> Path:
    """The recording of a soak finding, by its id (the ``sig`` of ``pcemu findings --json``,
    or any unambiguous prefix of it): its trace file, else its log."""
    if len(ident) < 4:
        raise BadInput(
            f"finding id {cut(ident)!r} is too short; give at least 4 characters of its sig"
        )
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"--from {str(directory)!r} is not a directory; give the soak's --out DIR")
    from emulator.soak.store import Store  # only when a finding is named

    store = Store(directory, create=False)
    try:
        rows = [f for f in store.findings() if f.sig.startswith(ident.lower())]
    finally:
        store.close()
    if not rows:
        raise BadInput(
            f"no finding {cut(ident)!r} in {str(directory)!r}; list ids with "
            f"pcemu findings {directory} --json"
        )
    if len(rows) > 1:
        sigs = ", ".join(f.sig for f in rows)
        raise BadInput(f"finding id {cut(ident)!r} is ambiguous ({sigs}); give more characters")
    f = rows[0]
    for rel in (f.trace, f.log):
        if rel and (directory / rel).is_file():
            return directory / rel
    what = f"finding {f.sig} ({f.kind} {f.oracle} at {f.label}) left no trace or log in "
    where = f"{str(directory)!r} (a watchdog hang or a dead worker)"
    if has_campaign(f.strategy):
        # Its run learned from the worker's earlier runs: the seed alone does not make it.
        raise BadInput(
            f"{what}{where}; a {f.strategy} run is reproduced only by its recorded choices, so "
            f"soak its lane again to find it"
        )
    raise BadInput(f"{what}{where}; rerun seed {f.seed} with pcemu run")


def recording_arg(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("file", type=PATH, required=False)(f)


def recording_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--finding ID --from DIR`` instead of FILE, and ``--script PATH``."""
    f = click.option(
        "--script",
        type=PATH,
        default=None,
        help="the user scenario script the recording was made from (it is run; its sha256 "
        "must match the recorded one)",
    )(f)
    f = click.option(
        "--from",
        "source",
        type=PATH,
        default=None,
        help="the soak directory holding --finding",
    )(f)
    return click.option(
        "--finding", default=None, help="a soak finding's id (its sig, or a prefix) instead of FILE"
    )(f)


def resolve_recording(file: Path | None, finding: str | None, source: Path | None) -> Path:
    if finding is not None:
        if source is None or file is not None:
            raise BadInput("--finding ID needs --from DIR (the soak directory) and no FILE")
        return finding_file(source, finding)
    if source is not None:
        raise BadInput("--from DIR goes with --finding ID; give a FILE or --finding ID --from DIR")
    if file is None:
        raise BadInput("give a --log or --trace FILE, or --finding ID --from DIR")
    return file


def interruptible(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with interrupts.catching():
            interrupts.check("pcemu: interrupted before the command started; nothing done")
            return f(*args, **kwargs)

    return wrapper
