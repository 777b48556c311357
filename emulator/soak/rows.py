"""The records of the findings store: a batch row, a signature's hits in one batch, a finding
row as read back; and the one place where a stored run spec is decoded (and checked)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.run.session import RunSpec
from emulator.soak.findings import Finding


class StoreDamaged(ValueError):
    """A value read from the store has the wrong type or shape (the caller names the file)."""


def iso(t: float | None) -> str | None:
    """A wall-clock time as it appears in JSON output: ISO 8601, UTC, milliseconds."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def spec_json(spec: RunSpec) -> str:
    return json.dumps(dataclasses.asdict(spec), sort_keys=True)


def _str_map(value: object, what: str, values: type) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, values) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        raise StoreDamaged(f"spec field {what} is not a map of {values.__name__}")
    return dict(value)


def spec_from_json(text: object) -> RunSpec:
    """A stored run spec, every field checked; StoreDamaged for anything else."""
    if not isinstance(text, str):
        raise StoreDamaged("spec is not text")
    try:
        d = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoreDamaged(f"spec is not JSON ({str(exc)[:60]})") from None
    if not isinstance(d, dict):
        raise StoreDamaged("spec is not a JSON object")
    for k in ("scenario", "variant", "strategy", "schedule"):
        if not isinstance(d.get(k, "seeded" if k == "schedule" else None), str):
            raise StoreDamaged(f"spec field {k} is not text")
    seed, budget = d.get("seed"), d.get("budget")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= BIG:
        raise StoreDamaged("spec field seed is not an integer >= 0")
    if budget is not None and (
        not isinstance(budget, int) or isinstance(budget, bool) or not 0 < budget <= BIG
    ):
        raise StoreDamaged("spec field budget is not an integer")
    return RunSpec(
        scenario=d["scenario"],
        variant=d["variant"],
        seed=seed,
        strategy=d["strategy"],
        strategy_params=_str_map(d.get("strategy_params") or {}, "strategy_params", int),
        schedule=d.get("schedule", "seeded"),
        options=_str_map(d.get("options") or {}, "options", str),
        budget=budget,
    )


BIG = 2**62  # counts and seeds beyond this are damage (and would overflow when added up)


def as_int(v: object, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not -BIG <= v <= BIG:
        raise StoreDamaged(f"{what} is not an integer of a sane size ({str(v)[:40]!r})")
    return v


def as_str(v: object, what: str) -> str:
    if not isinstance(v, str):
        raise StoreDamaged(f"{what} is not text ({str(v)[:40]!r})")
    return v


def as_time(v: object, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise StoreDamaged(f"{what} is not a time ({str(v)[:40]!r})")
    return float(v)


@dataclass(frozen=True)
class Hit:
    """One signature's runs within one batch: how many, and the smallest reproducer."""

    finding: Finding
    count: int
    seed: int
    strategy: str
    spec: RunSpec
    log: str | None = None  # relative to the store directory
    trace: str | None = None
    unsaved: str | None = None  # why the reproducer's files are missing (disk full, ...)

    @property
    def rank(self) -> tuple[int, str]:
        return (self.seed, self.strategy)

    @property
    def files(self) -> list[str]:
        return [p for p in (self.log, self.trace) if p]


@dataclass(frozen=True)
class BatchRow:
    lane: str
    shard: str
    k: int
    seed_lo: int
    seed_hi: int
    runs: int
    steps: int
    failures: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.lane, self.shard, self.k)

    @property
    def where(self) -> str:
        """The row, as a message names it."""
        return f"batches row (lane {_cut(self.lane)}, shard {_cut(self.shard)}, k {self.k})"


CHECK_LANE = "selfcheck"  # the lane of self-check rounds (their shard is the store's id)
BATCH_COLS = "lane, shard, k, seed_lo, seed_hi, runs, steps, failures"
_SHARD = re.compile(r"(\d{1,18})/(\d{1,18})")


def _cut(text: str, most: int = 60) -> str:
    return repr(text if len(text) <= most else text[: most - 3] + "...")


def batch_row(r: Sequence[object]) -> BatchRow:
    """One row of ``SELECT BATCH_COLS FROM batches``, every field checked (StoreDamaged
    naming the row and what is wrong): a lane and a shard of the shape the soak writes, k >= 0,
    0 <= seed_lo <= seed_hi, runs >= 1, steps >= 0 and 0 <= failures <= runs."""
    lane, shard = as_str(r[0], "batches row: lane"), as_str(r[1], "batches row: shard")
    head = f"batches row (lane {_cut(lane)}, shard {_cut(shard)}, k {str(r[2])[:30]})"
    k, lo, hi, runs, steps, failures = (
        as_int(v, f"{head}: {n}")
        for n, v in zip(
            ("k", "seed_lo", "seed_hi", "runs", "steps", "failures"), r[2:8], strict=True
        )
    )
    row = BatchRow(lane, shard, k, lo, hi, runs, steps, failures)
    wrong = _batch_problem(row)
    if wrong is not None:
        raise StoreDamaged(f"{head}: {wrong}")
    return row


def _batch_problem(b: BatchRow) -> str | None:
    for name in ("k", "seed_lo", "seed_hi", "runs", "steps", "failures"):
        value = getattr(b, name)
        if value < 0:
            return f"{name} is {value}, expected an integer >= 0"
    if b.seed_lo > b.seed_hi:
        return f"seed_lo {b.seed_lo} is above seed_hi {b.seed_hi}"
    if b.failures > b.runs:
        return f"failures {b.failures} is more than its runs {b.runs}"
    if b.lane == CHECK_LANE:
        return None if b.shard else "the self-check round names no store"
    if b.runs < 1:
        return "runs is 0; a committed batch made at least one run"
    parts = b.lane.split("|")
    if len(parts) != 3 or not all(parts):
        return "the lane is not scenario|variant|strategy"
    m = _SHARD.fullmatch(b.shard)
    if m is None or not int(m.group(1)) < int(m.group(2)):
        return "the shard is not I/N with 0 <= I < N"
    return None


def hit_rows(
    rows: Iterable[Sequence[object]], batches: Sequence[BatchRow], sigs: set[str]
) -> dict[tuple[str, str, int], list[tuple[str, int]]]:
    """The rows of ``SELECT lane, shard, k, sig, count FROM hits``, every one checked against
    the batches and findings (StoreDamaged otherwise): each belongs to a batch row and a
    finding and counts at least one run, and a batch's hits count no more runs than it made."""
    by_key = {b.key: b for b in batches}
    out: dict[tuple[str, str, int], list[tuple[str, int]]] = {}
    for r in rows:
        lane, shard = as_str(r[0], "hits row: lane"), as_str(r[1], "hits row: shard")
        k = as_int(r[2], "hits row: k")
        sig, count = as_str(r[3], "hits row: sig"), as_int(r[4], "hits row: count")
        head = f"hits row (lane {_cut(lane)}, shard {_cut(shard)}, k {k}, sig {_cut(sig, 20)})"
        if (lane, shard, k) not in by_key:
            raise StoreDamaged(f"{head}: no batches row has its lane, shard and k")
        if sig not in sigs:
            raise StoreDamaged(f"{head}: no findings row has its sig")
        if count < 1:
            raise StoreDamaged(f"{head}: count is {count}, expected an integer >= 1")
        out.setdefault((lane, shard, k), []).append((sig, count))
    for key, hits in out.items():
        b = by_key[key]
        total = sum(c for _s, c in hits)
        if total > b.runs:
            raise StoreDamaged(f"{b.where}: its hits count {total} runs, more than its {b.runs}")
    return out


@dataclass(frozen=True)
class FindingRow:
    sig: str
    kind: str
    scenario: str
    variant: str
    oracle: str
    label: str
    message: str
    expected: bool
    count: int
    seed: int
    strategy: str
    spec: RunSpec
    log: str | None
    trace: str | None
    first_seen: float
    last_seen: float
    unsaved: str | None = None

    @property
    def finding(self) -> Finding:
        return Finding(
            self.kind,
            self.scenario,
            self.variant,
            self.oracle,
            self.label,
            self.message,
            self.expected,
        )

    @property
    def unexpected(self) -> bool:
        return self.finding.unexpected

    def as_json(self) -> dict[str, Any]:
        """As in JSON output: the spec as an object, times as ISO 8601 UTC."""
        d: dict[str, Any] = {k.name: getattr(self, k.name) for k in dataclasses.fields(self)}
        d["spec"] = dataclasses.asdict(self.spec)
        d["first_seen"] = iso(self.first_seen)
        d["last_seen"] = iso(self.last_seen)
        return d


@dataclass
class CommitResult:
    inserted: bool
    new_sigs: list[str] = field(default_factory=list)
    stale_files: list[str] = field(default_factory=list)  # artifacts no row refers to any more


def merge_hits(hits: Iterable[Hit]) -> list[Hit]:
    """One Hit per signature: counts added, the smallest (seed, strategy) kept."""
    by: dict[str, Hit] = {}
    for h in hits:
        old = by.get(h.finding.sig)
        if old is None:
            by[h.finding.sig] = h
            continue
        best = h if h.rank < old.rank else old
        by[h.finding.sig] = dataclasses.replace(best, count=old.count + h.count)
    return [by[s] for s in sorted(by)]
