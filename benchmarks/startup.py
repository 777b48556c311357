"""Start-up CPU of the commands a person types most, against issue 14's targets.

- ``pcemu --version``: the whole process (target <= 0.15 s CPU).
- ``import emulator.cli.app``: the whole process, and the same minus a bare ``python -c pass``;
  ``import trio, click, msgpack``, the floor under any command that runs a scenario.
- hunt start-up: a one-seed ``pcemu hunt NAME --seeds 1 --out DIR``, CPU from process start
  until its first ``trio.run`` begins (the first run, or the first profiling run of a strategy
  that profiles: everything before it is start-up), target <= 0.25 s CPU; and the whole
  one-seed hunt's CPU, so the run's own share is the difference. (A short option such as ``-o``
  costs about a millisecond more: click imports difflib to suggest a long option before it
  tries it as a short one.)

Every figure is CPU time (user + system, from ``wait4``), the best of ``--reps`` repetitions,
measured in child processes; the load average is printed before and after, since other work on
the machine still slows a process's own CPU time (shared caches). Nothing is asserted: this
prints figures and ratios.

Usage: python benchmarks/startup.py [--reps 7] [--scenario anon-vma-reuse]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION_TARGET = 0.15
HUNT_TARGET = 0.25

# Runs the hunt as the ``pcemu`` script does, and notes the process's CPU when the first trio.run
# begins: trio.run is wrapped as trio is imported (by pcemu, when pcemu imports it: importing it
# here first would move its cost out of pcemu's start-up, and out of what pcemu does around it).
HUNT_CHILD = r"""
import os, resource, sys
from importlib.machinery import PathFinder

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

class WrapTrioRun:
    def find_spec(self, name, path, target=None):
        if name != "trio":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            run = module.run

            def first_run(*args, **kwargs):
                module.run = run
                os.write(int(os.environ["PCEMU_STARTUP_FD"]), f"{cpu()!r}\n".encode())
                return run(*args, **kwargs)

            module.run = first_run

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, WrapTrioRun())
sys.argv = ["pcemu", *sys.argv[1:]]
from emulator.cli import main
main()
"""


# Children may write bytecode: a user's installed pcemu has its .pyc files, and compiling every
# module from source (PYTHONDONTWRITEBYTECODE=1 with no __pycache__) doubles the figures.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def child_cpu(argv: list[str], pass_fd: int | None = None) -> float:
    """CPU seconds (user + system) of one child process, from the kernel's accounting."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(pass_fd,) if pass_fd is not None else (),
        env=ENV,
        # Not this tree: ``python -c`` imports from its working directory first, and the
        # interpreter measured must import its own tree's pcemu.
        cwd=tempfile.gettempdir(),
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def hunt_cpu(python: str, args: list[str]) -> tuple[float, float]:
    """(CPU until the first trio.run, CPU of the whole process) of one hunt."""
    read, write = os.pipe()
    ENV["PCEMU_STARTUP_FD"] = str(write)
    try:
        total = child_cpu([python, "-c", HUNT_CHILD, *args], pass_fd=write)
    finally:
        os.close(write)
    with os.fdopen(read) as f:
        lines = f.read().split()
    if not lines:
        raise SystemExit("the hunt never started a run")
    return float(lines[0]), total


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(value: float, target: float) -> str:
    return f"{value / target:.2f} of the target ({'met' if value <= target else 'NOT met'})"


def measure(python: str, scenario: str, out: str) -> dict[str, float]:
    """One repetition of every figure, with ``python``'s pcemu."""
    pcemu = str(Path(python).with_name("pcemu"))
    start, whole = hunt_cpu(python, ["hunt", scenario, "--seeds", "1", "--out", out])
    return {
        "bare": child_cpu([python, "-c", "pass"]),
        "version": child_cpu([pcemu, "--version"]),
        "import": child_cpu([python, "-c", "import emulator.cli.app"]),
        "floor": child_cpu([python, "-c", "import trio, click, msgpack"]),
        "start": start,
        "whole": whole,
    }


def report(label: str, best: dict[str, float], scenario: str) -> None:
    bare, version, imp = best["bare"], best["version"], best["import"]
    start, whole = best["start"], best["whole"]
    print(f"{label}:")
    rows = [
        ("python -c pass", f"{bare:.3f} s CPU (the interpreter's own start)"),
        ("pcemu --version", f"{version:.3f} s CPU, {verdict(version, VERSION_TARGET)}"),
        ("import emulator.cli.app", f"{imp:.3f} s CPU ({imp - bare:.3f} s over python -c pass)"),
        ("import trio, click, msgpack", f"{best['floor']:.3f} s CPU (the floor of a hunt)"),
        ("hunt start-up", f"{start:.3f} s CPU, {verdict(start, HUNT_TARGET)}"),
        (
            "one-seed hunt, whole",
            f"{whole:.3f} s CPU (the run and exit: {whole - start:.3f} s;"
            f" pcemu hunt {scenario} --seeds 1)",
        ),
    ]
    for what, figure in rows:
        print(f"  {what + ':':<29}{figure}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--scenario", default="anon-vma-reuse")
    ap.add_argument(
        "--against",
        metavar="PYTHON",
        help="another tree's interpreter (its venv's python), measured alternately with this one",
    )
    args = ap.parse_args()
    pythons = {"this tree": sys.executable}
    if args.against:
        pythons["against " + args.against] = args.against
    print(f"load average at start: {load()}  ({os.cpu_count()} cores, best of {args.reps})")
    best: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as out:
        for python in pythons.values():  # once unmeasured: bytecode written, caches warm
            measure(python, args.scenario, out)
        # Alternating, so both trees see the same machine load; each figure's best counts.
        for _ in range(args.reps):
            for label, python in pythons.items():
                got = measure(python, args.scenario, out)
                mine = best.setdefault(label, got)
                for key, value in got.items():
                    mine[key] = min(mine[key], value)
    for label in pythons:
        report(label, best[label], args.scenario)
    if args.against:
        this, other = best.values()
        print(
            "this tree / the other: "
            + ", ".join(f"{k} {this[k] / other[k]:.2f}" for k in ("version", "import", "start"))
        )
    print(f"load average at end:   {load()}")


if __name__ == "__main__":
    main()
