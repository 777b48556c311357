"""Runs per second of three reference scenarios: this tree against the previous released version
and against the bare trio hub-baton floor, all in CPU time, measured in the same run.

- Reference scenarios: anon-vma-reuse, futex-key-uaf, map-pages-unlocked-truncate; each
  measured over seeds 0..N-1 of its BUGGY and FIXED variants (chaos), as a hunt or a soak runs
  them.
- Previous version: the newest commit of the previous release line, whose ``pyproject.toml``
  version differs from HEAD's in major.minor (or ``--baseline REF``), installed once into a
  cached virtualenv under ``.bench-cache/``. Both versions run in child processes of this
  one, alternating round by round, so both see the same machine load; each side's best round
  counts.
- Floor: ``benchmarks/floors.py``'s hub baton (actors as trio tasks, one hub, one runnable at a
  time, no model), steps per CPU second, measured in each round beside the two versions and
  compared with this tree's steps per CPU second (each the best of its scenario's rounds).
  A scenario's steps carry its model's work and each run's setup, which the floor has none
  of; the engine's own steps against the floor (target >= 0.6) are ``steps.py``'s figure.

Prints one line per scenario with both ratios and the load average it ran under. Beside the
ratio of the two sides' best rounds it prints the median of each round's own ratio (the two
sides measured one after the other): the machine's speed drifts by up to 1.5x over minutes,
and the two estimates disagreeing says by how much that drift is in the figure.
Usage: python benchmarks/runs.py [--seeds 200] [--rounds 5] [--baseline REF]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import hub_baton_rate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("anon-vma-reuse", "futex-key-uaf", "map-pages-unlocked-truncate")

# Runs in the measured interpreter (this tree's or the baseline's): CPU seconds and steps for
# seeds 0..N-1 of both variants, through the fastest public way that version has to run many.
CHILD = r"""
import json, sys, time
try:
    from emulator.run.session import run_once
except ImportError:
    from emulator.session import run_once
try:
    from emulator.run.many import run_many
except ImportError:
    try:
        from emulator.run.session import run_many
    except ImportError:
        run_many = None
name, seeds = sys.argv[1], int(sys.argv[2])
run_once(name, "buggy", 0, "chaos")  # warm imports and caches outside the measurement
t0 = time.process_time()
steps = runs = 0
for variant in ("buggy", "fixed"):
    if run_many is not None:
        results = run_many(name, variant, range(seeds), "chaos")
    else:
        results = (run_once(name, variant, s, "chaos") for s in range(seeds))
    for r in results:
        steps += r.outcome.steps
        runs += 1
print(json.dumps({"cpu": time.process_time() - t0, "steps": steps, "runs": runs}))
"""


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def version_at(ref: str) -> str:
    for line in git("show", f"{ref}:pyproject.toml").splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise SystemExit(f"runs.py: no version line in pyproject.toml at {ref}")


def previous_release() -> str:
    """The newest commit of the previous release line: its version's major.minor differs from
    HEAD's (a patch release such as 0.2.1 is measured against 0.1.x, not against 0.2.0)."""
    mine = version_at("HEAD").split(".")[:2]
    for sha in git("rev-list", "HEAD").splitlines():
        if version_at(sha).split(".")[:2] != mine:
            return sha
    raise SystemExit(
        f"runs.py: every commit has version {mine}; name a baseline with --baseline REF"
    )


def baseline_python(ref: str) -> Path:
    sha = git("rev-parse", ref)
    venv = ROOT / ".bench-cache" / f"baseline-{sha[:12]}"
    py = venv / "bin" / "python"
    if py.exists():
        return py
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", tmp], check=True, capture_output=True
        )
    return py


def measure(python: Path | str, scenario: str, seeds: int, cwd: Path) -> dict[str, float]:
    done = subprocess.run(
        [str(python), "-c", CHILD, scenario, str(seeds)],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    data: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", help="git ref of the version to compare with")
    args = ap.parse_args()
    ref = args.baseline or previous_release()
    old_py = baseline_python(ref)
    neutral = Path(tempfile.mkdtemp())  # the baseline must not import this tree's packages
    print(f"baseline: {git('rev-parse', '--short', ref)} (pcemu {version_at(ref)})")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for scenario in SCENARIOS:
        # Each side's best round, the floor's too, all taken in the same rounds: the machine's
        # speed drifts over minutes, and a floor kept from earlier scenarios' rounds would not
        # be the one this scenario ran beside.
        floor = 0.0
        best_new = best_old = float("inf")
        new = old = {}
        paired: list[float] = []
        for i in range(args.rounds):
            # Which side goes first alternates: a drift within a round favours neither.
            if i % 2:
                o = measure(old_py, scenario, args.seeds, neutral)
                n = measure(sys.executable, scenario, args.seeds, ROOT)
            else:
                n = measure(sys.executable, scenario, args.seeds, ROOT)
                o = measure(old_py, scenario, args.seeds, neutral)
            floor = max(floor, hub_baton_rate(4, 5000)[0])
            paired.append(o["cpu"] / o["runs"] / (n["cpu"] / n["runs"]))
            if n["cpu"] < best_new:
                best_new, new = n["cpu"], n
            if o["cpu"] < best_old:
                best_old, old = o["cpu"], o
        runs_new, runs_old = new["runs"] / best_new, old["runs"] / best_old
        steps_new = new["steps"] / best_new
        print(
            f"{scenario:30} {runs_new:7.0f} runs/s ({1e3 / runs_new:.2f} ms) vs {runs_old:7.0f}"
            f" ({1e3 / runs_old:.2f} ms) (x{runs_new / runs_old:.2f}"
            f" of the previous version, target >= 1.8; median of the rounds' own ratios"
            f" x{statistics.median(paired):.2f}); {steps_new:8.0f} steps/s = "
            f"{steps_new / floor:.2f} of the hub-baton floor ({floor:,.0f}/s; with the model's"
            f" work and each run's setup, which the floor has not: the >= 0.6 target is"
            f" steps.py's)"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
