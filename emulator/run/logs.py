"""Run logs: structlog, JSON lines.

The first event (``run.start``) holds everything needed to reproduce the run; the last
(``run.end``) holds the outcome, step count, virtual time, trace hash and violation. Per-step
events (``run.step``) only on request: they cost as much as the step itself. No wall-clock value
is written: a log of the same run is byte-identical in any process.

Reading is streamed line by line with a bound on the file and on each line, and both events are
checked against their schemas (``recording.HEADER``, ``recording.END``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from emulator import __version__
from emulator.errors import BadInput
from emulator.run.inputs import MiB, input_file, q, reading, writing
from emulator.run.recording import END, HEADER, Recording
from emulator.run.schema import SchemaError, check

START = "run.start"
STEP = "run.step"
END_EVENT = "run.end"

MAX_LOG = 1024 * MiB  # a --log-steps log of a million steps is ~200 MiB
MAX_LINE = 1 * MiB
FIX = "give the --log file of a run"


def _logger(out: Any) -> Any:
    # Imported when a log is written: it (and what it imports) is most of what `pcemu hunt`
    # would otherwise import before its first run, and most hunts write no log.
    import structlog

    return structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[structlog.processors.JSONRenderer(sort_keys=True)],
    )


def write_log(path: Path, rec: Recording, steps: Iterable[dict[str, Any]] = ()) -> None:
    """Write the whole log at once (the run is in memory; a crash loses nothing recorded); the
    file appears whole or not at all."""
    with writing(path, "log", "w") as out:
        log = _logger(out)
        log.info(START, **rec.header)
        for s in steps:
            log.info(STEP, **s)
        log.info(END_EVENT, **rec.end)


def _lines(f: IO[bytes], path: Path) -> Iterator[tuple[int, str]]:
    n = 0
    while True:
        raw = f.readline(MAX_LINE + 1)
        if not raw:
            return
        n += 1
        if len(raw) > MAX_LINE:
            raise BadInput(
                f"log file {q(path)} line {n} is longer than {MAX_LINE // MiB} MiB; it is not a "
                "pcemu run log (written by --log)"
            )
        yield n, raw.decode("utf-8", errors="replace")


def _parse(line: str) -> tuple[Any, str | None]:
    """The JSON value of a line, or None and why it is not one."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError:
        return None, "json"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        return None, str(exc).split(":")[0].split(";")[0][:80]


def read_log(path: Path) -> Recording:
    """The first ``run.start`` and the last ``run.end`` event of a run log (a recording
    without choices); BadInput for anything unusable."""
    input_file(path, "log file", FIX, MAX_LOG)
    start: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    with reading(path, "log file", FIX) as f:
        lines = _lines(f, path)
        for n, line in lines:
            if not line.strip():
                continue
            ev, why = _parse(line)
            if why is not None:
                last = not any(rest.strip() for _, rest in lines)
                if why == "json" and last and start is not None:
                    raise BadInput(
                        f"log file {q(path)} is truncated: line {n} is cut off; re-run the "
                        f"seed from its {START} line instead"
                    )
                if why == "json":
                    raise BadInput(
                        f"log file {q(path)} line {n} is not JSON; pass a pcemu JSON-lines log "
                        "(written by --log)"
                    )
                raise BadInput(
                    f"log file {q(path)} line {n} cannot be read ({why}); pass a pcemu "
                    "JSON-lines log (written by --log)"
                )
            if not isinstance(ev, dict):
                raise BadInput(f"log file {q(path)} line {n} is not a JSON object")
            if ev.get("event") == START and start is None:
                start = ev
            elif ev.get("event") == END_EVENT:
                end = ev
    if start is None:
        raise BadInput(f"log file {q(path)} has no {START} event; it is not a pcemu run log")
    if end is None:
        raise BadInput(
            f"log file {q(path)} is truncated: no {END_EVENT} event; re-run the seed from its "
            f"{START} line instead"
        )
    checked(start, HEADER, START, f"log file {q(path)}")
    checked(end, END, END_EVENT, f"log file {q(path)}")
    return Recording(header=start, end=end)


def checked(value: Any, schema: Any, where: str, what: str) -> None:
    """One BadInput line for a record that does not fit its schema."""
    try:
        check(schema, value, where)
    except SchemaError as exc:
        raise BadInput(
            f"{what}: {exc.where} {exc.problem}; the file is damaged or was not written by "
            "pcemu (re-record the run)"
        ) from None


def check_version(found: Any, what: str, force: bool) -> None:
    if found != __version__ and not force:
        raise BadInput(
            f"{what} was written by pcemu {found}, this is pcemu {__version__}; "
            "replay it with that version, or pass --force to try anyway"
        )
