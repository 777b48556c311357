"""Record what every run ends with, to prove a refactor behaviour-neutral.

For every built-in scenario x variant x strategy x seeds 0..N-1, plus every variant's directed
schedule, one JSON line: (scenario, variant, strategy, seed or "directed") -> (outcome, oracle,
step, actor, label, steps, trace hash). Run it before and after a change and compare:

    python benchmarks/equivalence.py --seeds 40 > before.jsonl
    ... change ...
    python benchmarks/equivalence.py --seeds 40 --compare before.jsonl

``--compare`` prints the rows that differ and a one-line table; it exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

try:  # the layout before and after the re-cut
    from emulator.run.catalog import builtin
    from emulator.run.session import run_once
except ImportError:  # pragma: no cover - older layout
    from emulator.catalog import builtin  # type: ignore[no-redef]
    from emulator.session import run_once  # type: ignore[no-redef]

STRATEGIES = ("chaos", "pct", "random")


def row(name: str, variant: str, strategy: str, seed: int | None) -> dict[str, Any]:
    directed = seed is None
    res = run_once(name, variant, seed or 0, strategy, directed=directed)
    o = res.outcome
    v = o.violation
    return {
        "key": f"{name}/{variant}/{strategy}/{'directed' if directed else seed}",
        "outcome": o.status,
        "oracle": v.oracle if v else None,
        "step": v.step if v else None,
        "actor": v.actor if v else None,
        "label": v.label if v else None,
        "steps": o.steps,
        "hash": o.trace_hash,
    }


def rows(seeds: int, strategies: tuple[str, ...] = STRATEGIES) -> list[dict[str, Any]]:
    out = []
    for name, scen in sorted(builtin().items()):
        for variant in scen.variants:
            for strategy in strategies:
                for seed in range(seeds):
                    out.append(row(name, variant, strategy, seed))
            out.append(row(name, variant, "chaos", None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--compare", metavar="FILE", help="a file written by an earlier run")
    ap.add_argument(
        "--ignore-hash",
        action="store_true",
        help="compare everything but the trace hash (for a deliberate rename of ops on the wire)",
    )
    ap.add_argument(
        "--strategies",
        default=",".join(STRATEGIES),
        help="comma-separated strategies to record (default: %(default)s; mix: the default's)",
    )
    args = ap.parse_args()
    now = rows(args.seeds, tuple(args.strategies.split(",")))
    if not args.compare:
        for r in now:
            print(json.dumps(r, sort_keys=True))
        return 0
    with open(args.compare) as f:
        before = {r["key"]: r for r in map(json.loads, f)}

    def same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
        if a is None:
            return False
        if args.ignore_hash:
            a, b = {**a, "hash": ""}, {**b, "hash": ""}
        return a == b

    # Rows of scenarios (or variants) the earlier run did not have are new, not different.
    new = [r for r in now if r["key"] not in before]
    now = [r for r in now if r["key"] in before]
    diff = [r for r in now if not same(before.get(r["key"]), r)]
    missing = sorted(set(before) - {r["key"] for r in now})
    for r in diff:
        print("differs:", json.dumps(before.get(r["key"])), "->", json.dumps(r))
    for k in missing:
        print("missing:", k)
    same = len(now) - len(diff)
    print(f"{same} of {len(now)} runs identical; {len(diff)} differ; {len(missing)} missing")
    if new:
        print(f"{len(new)} new runs (not in {args.compare}) not compared")
    return 1 if diff or missing else 0


if __name__ == "__main__":
    sys.exit(main())
