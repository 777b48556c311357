"""The choice source: every nondeterministic decision of a run passes through ``choose``.

The recorded sequence of (kind, n, value) *is* the schedule. A seeded strategy produces values;
replay feeds recorded values back and verifies that the live run asks the same questions; a
lenient replay (used by the shrinker) accepts edited sequences, clamping and defaulting to 0.
Value 0 is always the "default" answer (keep running the current actor, no delay, reuse the most
recently freed slot), so shrinking towards 0 means shrinking towards the unsurprising run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


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


class ChoiceSource:
    """Records choices; optionally replays a recorded sequence."""

    __slots__ = (
        "_lenient",
        "_pos",
        "_rec_kinds",
        "_rec_ns",
        "_rec_values",
        "_rec_where",
        "kinds",
        "ns",
        "values",
        "where",
    )

    def __init__(
        self,
        replay: tuple[list[int], list[int], list[str]] | None = None,
        lenient: bool = False,
        where: Sequence[Where] | None = None,
    ) -> None:
        self.values: list[int] = []
        self.ns: list[int] = []
        self.kinds: list[str] = []
        self.where: list[Where] = []
        self._pos = 0
        self._lenient = lenient
        # Contexts are verified in strict replay only: the shrinker's edited sequences are meant
        # to take the run somewhere else.
        self._rec_where = None if lenient or replay is None else where
        if replay is None:
            self._rec_values: list[int] | None = None
            self._rec_ns: list[int] = []
            self._rec_kinds: list[str] = []
        else:
            self._rec_values, self._rec_ns, self._rec_kinds = replay

    @property
    def replaying(self) -> bool:
        return self._rec_values is not None

    def choose(self, n: int, kind: str, decide: Callable[[], int]) -> int:
        """Return a value in [0, n). ``decide`` is the strategy's answer when not replaying."""
        rec = self._rec_values
        if rec is None:
            v = decide()
        else:
            v = self._replayed(n, kind, rec)
        self.values.append(v)
        self.ns.append(n)
        self.kinds.append(kind)
        return v

    def replayed(self, n: int, kind: str) -> int:
        """Next recorded value (only while replaying); records it as consumed."""
        assert self._rec_values is not None
        v = self._replayed(n, kind, self._rec_values)
        self.values.append(v)
        self.ns.append(n)
        self.kinds.append(kind)
        return v

    def record(self, n: int, kind: str, v: int) -> int:
        """Record a value the strategy decided (hot path: no closure per step)."""
        self.values.append(v)
        self.ns.append(n)
        self.kinds.append(kind)
        return v

    def _replayed(self, n: int, kind: str, rec: list[int]) -> int:
        i = self._pos
        self._pos = i + 1
        if i >= len(rec):
            if self._lenient:
                return 0
            raise Divergence(i, "end of recording", f"{kind}/{n}")
        if (self._rec_ns[i] != n or self._rec_kinds[i] != kind) and not self._lenient:
            expected = f"{self._rec_kinds[i]}/{self._rec_ns[i]}"
            rec_where = self._rec_where
            if rec_where is not None and i < len(rec_where):
                expected += f" for {where_text(rec_where[i])}"
            raise Divergence(i, expected, f"{kind}/{n}")
        v = rec[i]
        return v if v < n else v % n

    def place(self, step: int, actor: str, label: str) -> None:
        """Record where the choice just made was asked. In strict replay of a recording that
        has contexts, the same kind and range asked by another actor, at another label or step
        means the code under the recording changed: stop there and name both places."""
        i = len(self.where)
        w = (step, actor, label)
        self.where.append(w)
        rec = self._rec_where
        if rec is not None and i < len(rec):
            r = rec[i]
            if r[0] != step or r[1] != actor or r[2] != label:
                kind = self.kinds[i]
                raise Divergence(
                    i, f"{kind} for {where_text(r)}", f"{kind} for {where_text(w)}", step
                )

    def unused_recorded(self) -> int:
        """How many recorded choices the run did not consume (non-zero = diverged early)."""
        if self._rec_values is None:
            return 0
        return max(0, len(self._rec_values) - self._pos)
