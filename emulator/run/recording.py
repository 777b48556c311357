"""A recorded run, as the files that keep it hold it: the header (everything needed to
reproduce the run: the ``run.start`` event), the choices, the actors and step events, and the
end (the ``run.end`` event: outcome, steps, virtual time, trace hash, violation).

A trace file holds all of it; a log holds the header and the end (``choices is None``), which
reproduce the run from its seed. ``HEADER`` and ``END`` are the schemas every reader checks
them against (``schema.py``): a value that passes can be used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.engine.choices import ChoiceRecord
from emulator.engine.config import RunResult
from emulator.engine.events import StepEvent
from emulator.engine.violations import CLEAN, ERROR, HANG, VIOLATION
from emulator.run.schema import DictOf, Int, Map, Opt, Str
from emulator.run.spec import MAX_BUDGET as MAX_BUDGET
from emulator.run.spec import SEED_LIMIT as SEED_LIMIT

BIG = 1 << 63

SEED = Int(0, SEED_LIMIT, "0 <= seed < 2**64")
BUDGET = Int(1, MAX_BUDGET + 1, f"1 <= budget <= {MAX_BUDGET:,}")

HEADER = Map(
    required={
        "scenario": Str(),
        "variant": Str(100),
        "seed": SEED,
        "strategy": Str(64),
    },
    optional={
        "pcemu": Str(64),
        "spec_id": Str(64),
        "strategy_params": DictOf(Int(0, BIG), 16),
        "schedule": Str(16),
        "options": DictOf(Str(200), 64),
        "mem": Str(16),
        "budget": BUDGET,
        "script": Str(),
        "script_sha256": Str(64),
        "shrunk_from": Str(64),
    },
)

VIOLATION_REC = Map(
    required={"oracle": Str(200)},
    optional={
        "message": Str(1 << 16),
        "step": Int(0, BIG),
        "vtime": Int(0, BIG),
        "actor": Str(200),
        "label": Str(200),
    },
)

END = Map(
    required={"outcome": Str(16, (CLEAN, VIOLATION, HANG, ERROR))},
    optional={
        "steps": Int(0, BIG),
        "vtime": Int(0, BIG),
        "trace_hash": Str(64),
        "violation": Opt(VIOLATION_REC),
        "error": Str(1 << 20),
    },
)


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
