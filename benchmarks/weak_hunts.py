"""How many seeds a hunt needs to find each barrier scenario's BUGGY variants, per memory mode,
and whether FIXED stays clean: 20 hunts from disjoint seed ranges (seeds i*1000 ..), median and
max seeds to the first failure; FIXED over N seeds.

    python benchmarks/weak_hunts.py [--hunts 20] [--fixed 2000] [--strategy chaos]
"""

from __future__ import annotations

import argparse
import statistics

from emulator.run.catalog import builtin
from emulator.run.session import run_once

LIMIT = 300  # seeds per hunt
# Where each scenario's BUGGY variants can be found (weak-memory.md section 6); in the other
# modes they are checked clean like FIXED.
FOUND_IN = {
    "futex-wake-barrier": ("TSO", "WEAK"),
    "truncate-count-barriers": ("WEAK",),
    "anon-vma-free-barrier": ("WEAK",),
    "mapcount-lock-order": ("WEAK",),
}


def hunt(name: str, variant: str, mem: str, start: int, strategy: str) -> int | None:
    for i in range(LIMIT):
        o = run_once(name, variant, start + i, strategy, mem=mem).outcome
        if o.failed:
            return i + 1
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hunts", type=int, default=20)
    ap.add_argument("--fixed", type=int, default=2000)
    ap.add_argument("--strategy", default="chaos")
    ap.add_argument("--only", default="")
    ap.add_argument(
        "--sc", type=int, default=500, help="seeds for SC runs (never expected to fail)"
    )
    args = ap.parse_args()
    print("| scenario | variant | mem | median seeds | max seeds | found |")
    print("|---|---|---|---|---|---|")
    for name, scen in sorted(builtin().items()):
        if not scen.mems or (args.only and args.only != name):
            continue
        for variant in scen.variants:
            for mem in scen.modes():
                if variant.startswith("fixed") or mem not in FOUND_IN.get(name, ()):
                    bad = [
                        s
                        for s in range(args.fixed if variant.startswith("fixed") else args.sc)
                        if run_once(name, variant, s, args.strategy, mem=mem).outcome.failed
                    ]
                    n = args.fixed if variant.startswith("fixed") else args.sc
                    print(
                        f"| {name} | {variant} | {mem} | clean over {n} | "
                        f"{'-' if not bad else bad[:5]} | {len(bad)} failed |"
                    )
                    continue
                found = [
                    hunt(name, variant, mem, i * 1000, args.strategy) for i in range(args.hunts)
                ]
                hits = [n for n in found if n is not None]
                med = statistics.median(hits) if hits else "-"
                mx = max(hits) if hits else "-"
                print(
                    f"| {name} | {variant} | {mem} | {med} | {mx} | {len(hits)}/{args.hunts} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
