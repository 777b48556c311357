"""What a failed run is, and when two failed runs are the same finding.

A finding has a *kind*:

- ``violation``: an oracle fired (the races the soak is hunting)
- ``emulator-error``: scenario or model code raised a Python exception, or a worker process died
- ``hang``: the run used up its step budget, or its worker passed the wall-clock watchdog
- ``nondeterminism``: the self-check ran a seed twice and the trace hashes differ

Its *signature* is (kind, scenario, variant, oracle, label): the oracle id and the label of the
step where it fired. The same race reached from a thousand seeds is one finding with a count of
a thousand; the smallest seed is kept as its reproducer. For errors the "oracle" is the
exception type and the code location, for hangs the budget or the watchdog. A deadlock
(INV-DL-1) is one finding per cycle: its "label" is the set of locks in the cycle, whichever
actor's step happened to close it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from emulator.engine.config import RunResult
from emulator.engine.violations import CLEAN, ERROR, HANG, VIOLATION, Crash
from emulator.run.scenario import Scenario

VIOLATION_KIND = "violation"
ERROR_KIND = "emulator-error"
HANG_KIND = "hang"
NONDET_KIND = "nondeterminism"
KINDS = (VIOLATION_KIND, ERROR_KIND, HANG_KIND, NONDET_KIND)

HANG_TAIL = 32  # a budget hang is named by the labels of its last steps: the loop it is stuck in


@dataclass(frozen=True)
class Finding:
    kind: str
    scenario: str
    variant: str
    oracle: str
    label: str
    message: str
    expected: bool = False  # a BUGGY variant tripping an oracle its scenario says it trips

    @property
    def sig(self) -> str:
        return signature(self.kind, self.scenario, self.variant, self.oracle, self.label)

    @property
    def unexpected(self) -> bool:
        """Anything but a violation its scenario declares for this variant is news: an
        undeclared violation, an error, a hang, nondeterminism."""
        return not (self.kind == VIOLATION_KIND and self.expected)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            kind=str(d["kind"]),
            scenario=str(d["scenario"]),
            variant=str(d["variant"]),
            oracle=str(d["oracle"]),
            label=str(d["label"]),
            message=str(d["message"]),
            expected=bool(d.get("expected", False)),
        )


def signature(kind: str, scenario: str, variant: str, oracle: str, label: str) -> str:
    text = "\x1f".join((kind, scenario, variant, oracle, label))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


DEADLOCK = "INV-DL-1"
# "T2 waits lock_page(page#4) (held by T1 since Q2b, step 21)": the lock is what is waited on.
_WAITS = re.compile(r"(?:^|; )(?:deadlock: )?\S+ waits (.+?) \(held by ")


def cycle_key(message: str) -> str | None:
    """The locks of a deadlock cycle, sorted: the same cycle closed by another actor (at
    another label) is the same deadlock. None if the message names no waits."""
    locks = sorted(set(_WAITS.findall(message)))
    return "+".join(locks) if locks else None


def _labels(result: RunResult) -> list[tuple[str, str]]:
    """(actor, label) of every step."""
    return [(result.actor_names[ev.actor], ev.label) for ev in result.events]


def classify(scen: Scenario, name: str, variant: str, result: RunResult) -> Finding | None:
    """The finding a finished run of scenario ``name`` stands for, or None if it was clean."""
    o = result.outcome
    if o.status == CLEAN:
        return None
    if o.status == VIOLATION and o.violation is not None:
        v = o.violation
        expected = v.oracle in scen.expects.get(variant, ())
        label = (cycle_key(v.message) if v.oracle == DEADLOCK else None) or v.label
        return Finding(VIOLATION_KIND, name, variant, v.oracle, label, v.message, expected)
    if o.status == HANG:
        tail = sorted({label for _a, label in _labels(result)[-HANG_TAIL:]})
        return Finding(
            HANG_KIND, name, variant, "step-budget", ",".join(tail) or "-", o.error or "hang"
        )
    # ERROR: an actor's program (or the model, inside a step) raised.
    crash = o.crash or Crash("-", "Exception", o.error or "?", "?", o.error or "")
    last = [label for a, label in _labels(result) if a == crash.actor]
    label = last[-1] if last else "-"
    status = o.status if o.status == ERROR else f"{o.status}?"
    return Finding(
        ERROR_KIND,
        name,
        variant,
        f"{crash.exc_type}@{crash.where}",
        label,
        f"{status}: {crash.actor}: {crash.exc_line}",
    )


def from_exception(scenario: str, variant: str, exc: BaseException) -> Finding:
    """A run that did not even finish: an exception escaped the engine (model code, build)."""
    crash = Crash.of("-", exc)
    return Finding(
        ERROR_KIND,
        scenario,
        variant,
        f"{type(exc).__name__}@{crash.where}",
        "-",
        f"raised: {crash.exc_line}",
    )


def watchdog(scenario: str, variant: str, seconds: float) -> Finding:
    return Finding(
        HANG_KIND,
        scenario,
        variant,
        "watchdog",
        "-",
        f"no progress for {seconds:g}s of wall-clock time; the worker was killed",
    )


def worker_died(scenario: str, variant: str, returncode: int | None) -> Finding:
    how = (
        f"killed by signal {-returncode}"
        if returncode is not None and returncode < 0
        else f"exit status {returncode}"
    )
    return Finding(
        ERROR_KIND, scenario, variant, "worker-died", how, f"the worker process died ({how})"
    )


def nondeterminism(scenario: str, variant: str, first: str, again: str) -> Finding:
    return Finding(
        NONDET_KIND,
        scenario,
        variant,
        "trace-hash",
        "-",
        f"the same seed gave trace {first} and then {again}",
    )
