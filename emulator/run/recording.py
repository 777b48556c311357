"""A recorded run, as the files that keep it hold it: the header (everything needed to
reproduce the run: the ``run.start`` event), the choices, the actors and step events, and the
end (the ``run.end`` event: outcome, steps, virtual time, trace hash, violation).

A trace file holds all of it; a log holds the header and the end (``choices is None``), which
reproduce the run from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.engine.choices import ChoiceRecord
from emulator.engine.config import RunResult
from emulator.engine.events import StepEvent


@dataclass
class Recording:
    header: dict[str, Any]
    end: dict[str, Any]
    choices: list[ChoiceRecord] | None = None  # None: a log (replayed from its seed)
    actors: list[str] = field(default_factory=list)
    events: list[StepEvent] = field(default_factory=list)

    @property
    def has_where(self) -> bool:
        """Recorded with choice contexts (trace format 2): strict replay checks them."""
        return bool(self.choices) and all(c.where is not None for c in self.choices or ())

    @classmethod
    def of(cls, header: dict[str, Any], result: RunResult) -> Recording:
        return cls(
            header,
            end_event(result),
            list(result.choices),
            list(result.actor_names),
            list(result.events),
        )


def end_event(result: RunResult) -> dict[str, Any]:
    return result.outcome.as_dict()
