"""What an oracle raises, and what a run ends with."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.engine.events import trace_hash


class Violation(Exception):
    """Raised by an oracle inside a step. The runtime fills in where it happened."""

    def __init__(self, oracle: str, message: str, **details: Any) -> None:
        super().__init__(f"{oracle}: {message}")
        self.oracle = oracle
        self.message = message
        self.details = details


@dataclass(frozen=True)
class ViolationReport:
    oracle: str
    message: str
    step: int
    vtime: int
    actor: str
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "oracle": self.oracle,
            "message": self.message,
            "step": self.step,
            "vtime": self.vtime,
            "actor": self.actor,
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ViolationReport:
        return cls(
            oracle=str(d["oracle"]),
            message=str(d["message"]),
            step=int(d["step"]),
            vtime=int(d["vtime"]),
            actor=str(d["actor"]),
            label=str(d["label"]),
        )


@dataclass(frozen=True)
class Crash:
    """Python code raised: an actor's program or the model (a bug in a scenario or in pcemu).
    Taken apart once, from the exception itself, for the soak's finding signature."""

    actor: str  # "-" when the exception escaped the engine (building the scenario)
    exc_type: str  # "KeyError"
    exc_line: str  # the last line of the formatted exception: "KeyError: 'x'"
    where: str  # innermost code location: "mm.py:12 in fault", or "?"
    traceback: str  # the formatted exception, for people

    @classmethod
    def of(cls, actor: str, exc: BaseException) -> Crash:
        tb = "".join(traceback.format_exception(exc)).strip()
        lines = [ln for ln in tb.splitlines() if ln.strip()]
        exc_line = lines[-1].strip() if lines else "?"
        head = exc_line.split(":", 1)[0].strip()
        frame = _last_frame(traceback.TracebackException.from_exception(exc))
        where = (
            "?"
            if frame is None
            else f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
        )
        return cls(actor, head.rsplit(".", 1)[-1] or "Exception", exc_line, where, tb)


def _last_frame(te: traceback.TracebackException) -> traceback.FrameSummary | None:
    """The frame printed last in the formatted exception: chained exceptions print first, then
    this one's frames, then the members of an exception group."""
    subs = getattr(te, "exceptions", None) or []
    for sub in reversed(subs):
        found = _last_frame(sub)
        if found is not None:
            return found
    if len(te.stack):
        return te.stack[-1]
    prev = te.__cause__ or (None if te.__suppress_context__ else te.__context__)
    return _last_frame(prev) if prev is not None else None


# Outcomes of a run. "violation" = an oracle fired; "hang" = the step budget ran out;
# "error" = scenario or model code raised a Python exception (a bug in pcemu or the script).
CLEAN = "clean"
VIOLATION = "violation"
HANG = "hang"
ERROR = "error"


@dataclass
class Outcome:
    status: str
    steps: int
    vtime: int
    # The run's step events; the trace hash is computed from them when first asked for (most
    # runs of a hunt or a soak never are: hashing a run cost 1.5 % of it).
    events: Sequence[tuple[int, int, bytes, bytes]] = field(repr=False)
    violation: ViolationReport | None = None
    error: str | None = None  # what went wrong, for people (hang, divergence, crash)
    crash: Crash | None = None  # status ERROR: the exception, taken apart
    _hash: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def trace_hash(self) -> str:
        """blake2b-16 of the run's step events (``events.trace_hash``)."""
        h = self._hash
        if h is None:
            h = self._hash = trace_hash(self.events)
        return h

    @property
    def failed(self) -> bool:
        return self.status != CLEAN

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.status,
            "steps": self.steps,
            "vtime": self.vtime,
            "trace_hash": self.trace_hash,
            "violation": self.violation.as_dict() if self.violation else None,
            "error": self.error,
        }
