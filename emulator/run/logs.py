"""Run logs: structlog, JSON lines.

The first event (``run.start``) holds everything needed to reproduce the run; the last
(``run.end``) holds the outcome, step count, virtual time, trace hash and violation. Per-step
events (``run.step``) only on request: they cost as much as the step itself. No wall-clock value
is written: a log of the same run is byte-identical in any process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import structlog

from emulator import __version__
from emulator.errors import BadInput
from emulator.run.recording import Recording

START = "run.start"
END = "run.end"
STEP = "run.step"


def _logger(out: TextIO) -> Any:
    return structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[structlog.processors.JSONRenderer(sort_keys=True)],
    )


def write_log(path: Path, rec: Recording, steps: Iterable[dict[str, Any]] = ()) -> None:
    """Write the whole log at once (the run is in memory; a crash loses nothing recorded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        log = _logger(out)
        log.info(START, **rec.header)
        for s in steps:
            log.info(STEP, **s)
        log.info(END, **rec.end)


def read_log(path: Path) -> Recording:
    """The first and last events of a run log (a recording without choices); BadInput for
    anything unusable."""
    if not path.is_file():
        raise BadInput(f"log file {str(path)!r} does not exist; give the --log file of a run")
    start: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    with path.open(encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        n = i + 1
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            if i == last and start is not None:
                raise BadInput(
                    f"log file {str(path)!r} is truncated: line {n} is cut off; re-run the "
                    f"seed from its {START} line instead"
                ) from None
            raise BadInput(
                f"log file {str(path)!r} line {n} is not JSON; pass a pcemu JSON-lines log "
                "(written by --log)"
            ) from None
        if not isinstance(ev, dict):
            raise BadInput(f"log file {str(path)!r} line {n} is not a JSON object")
        if ev.get("event") == START and start is None:
            start = ev
        elif ev.get("event") == END:
            end = ev
    if start is None:
        raise BadInput(f"log file {str(path)!r} has no {START} event; it is not a pcemu run log")
    if end is None:
        raise BadInput(
            f"log file {str(path)!r} is truncated: no {END} event; re-run the seed from its "
            f"{START} line instead"
        )
    return Recording(header=start, end=end)


def check_version(found: Any, what: str, force: bool) -> None:
    if found != __version__ and not force:
        raise BadInput(
            f"{what} was written by pcemu {found}, this is pcemu {__version__}; "
            "replay it with that version, or pass --force to try anyway"
        )
