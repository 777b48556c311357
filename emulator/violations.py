"""What an oracle raises, and what a run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    trace_hash: str
    violation: ViolationReport | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
