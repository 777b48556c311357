"""Choices: every nondeterministic decision of a run, recorded as one list of records.

A record is (value, n, kind, where): the answer, the range it was chosen from, what kind of
question it was ("sched", "delay", or a model kind such as "slab"), and where it was asked (the
step it decides, the actor, and that actor's pending label). The list *is* the schedule.

A seeded strategy produces values; a ``Replay`` feeds recorded ones back through a
``ReplayCursor`` (see ``strategies.ReplayStrategy``). Strict replay verifies that the live run
asks the same questions, in the same places when the recording has them; lenient replay (the
shrinker's) takes bare values, clamps them and answers 0 past the end. Value 0 is always the
"default" answer (keep running the current actor, no delay, reuse the most recently freed
slot), so shrinking towards 0 means shrinking towards the unsurprising run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Divergence(Exception):
    """The live run asked a different question than the recording at this index."""

    index: int
    expected: str
    found: str
    step: int = -1  # the live run's step the choice decides (-1: not known where it was asked)

    def __str__(self) -> str:
        at = f" at step {self.step}" if self.step >= 0 else ""
        return f"choice {self.index}{at}: recorded {self.expected}, live run asked {self.found}"


Where = tuple[int, str, str]
"""Where a choice was asked: the step it decides, the actor, and that actor's pending label."""


def where_text(w: Sequence[object]) -> str:
    return f"{w[1]} [{w[2]}] at step {w[0]}"


class ChoiceRecord(NamedTuple):
    value: int
    n: int
    kind: str
    where: Where | None  # None: read from a recording made before contexts were kept


_new_record = tuple.__new__  # the hot path builds records without NamedTuple's Python __new__


class Recorder:
    """Records the choices of a run. Given the records of a strict replay, it also checks that
    each choice is asked where the recording asked it."""

    __slots__ = ("_verify", "records")

    def __init__(self, verify: Sequence[ChoiceRecord] | None = None) -> None:
        self.records: list[ChoiceRecord] = []
        self._verify = verify

    def record(self, value: int, n: int, kind: str, where: Where) -> int:
        """Append one choice; in strict replay of a recording that has contexts, the same kind
        and range asked by another actor, at another label or step means the code under the
        recording changed: stop there and name both places."""
        records = self.records
        i = len(records)
        records.append(_new_record(ChoiceRecord, (value, n, kind, where)))
        rec = self._verify
        if rec is not None and i < len(rec):
            r = rec[i].where
            if r is not None and r != where:
                raise Divergence(
                    i, f"{kind} for {where_text(r)}", f"{kind} for {where_text(where)}", where[0]
                )
        return value

    @property
    def verifying(self) -> bool:
        """True in strict replay: each choice must be asked where the recording asked it."""
        return self._verify is not None

    @property
    def values(self) -> list[int]:
        return [r.value for r in self.records]


@dataclass(frozen=True)
class Replay:
    """A recorded choice sequence to feed back into a run."""

    values: tuple[int, ...]
    records: tuple[ChoiceRecord, ...] | None = None  # given: strict replay; None: lenient

    @classmethod
    def strict(cls, records: Sequence[ChoiceRecord]) -> Replay:
        return cls(tuple(r.value for r in records), tuple(records))

    @classmethod
    def lenient(cls, values: Sequence[int]) -> Replay:
        return cls(tuple(values), None)

    @property
    def is_strict(self) -> bool:
        return self.records is not None


class ReplayCursor:
    """Hands out the recorded values in order, checking kind and range in strict replay."""

    __slots__ = ("_pos", "replay")

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self._pos = 0

    def next(self, n: int, kind: str) -> int:
        i = self._pos
        self._pos = i + 1
        rp = self.replay
        recs = rp.records
        if i >= len(rp.values):
            if recs is None:
                return 0
            raise Divergence(i, "end of recording", f"{kind}/{n}")
        if recs is not None:
            r = recs[i]
            if r.n != n or r.kind != kind:
                expected = f"{r.kind}/{r.n}"
                if r.where is not None:
                    expected += f" for {where_text(r.where)}"
                raise Divergence(i, expected, f"{kind}/{n}")
        v = rp.values[i]
        return v if v < n else v % n

    def unused(self) -> int:
        """How many recorded choices the run did not consume (non-zero = diverged early)."""
        return max(0, len(self.replay.values) - self._pos)
