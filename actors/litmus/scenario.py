"""A litmus test as an ordinary scenario, so a witness trace replays, shrinks and explains.

``pcemu litmus`` writes, next to each witness trace, a two-line scenario script that calls
``litmus_scenario`` with the litmus file's path; the trace header names that script, and the
variant is the memory model (sc, tso, weak).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from actors.litmus.check import BUDGET, MODES, build
from actors.litmus.parse import parse_file
from emulator.run.scenario import Scenario, Setup


def litmus_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    test = parse_file(p)

    def setup(variant: str, options: Mapping[str, str]) -> Setup:
        model, actors = build(parse_file(p), variant)
        return Setup(model=model, actors=actors)

    oracle = "LITMUS-FORALL" if test.quantifier == "forall" else "LITMUS-EXISTS"
    return Scenario(
        # A scenario name has no '/' (it names files); a test's may ("auto/C-RW-R1+RW-R1").
        name=test.name.replace("/", "-"),
        spec_id="litmus",
        thread=f"litmus test {p}",
        title=f"{test.name}: {test.quantifier} {test.cond_text}",
        era="LKMM",
        commits="-",
        build=setup,
        expects={m: (oracle,) for m in MODES},
        variants=("weak", "tso", "sc"),
        mem="SC/TSO/WEAK",
        budget=BUDGET,
    )


def script_text(litmus: Path) -> str:
    return (
        f'"""Scenario for the litmus test {litmus.name} (written by pcemu litmus)."""\n\n'
        "from actors.litmus.scenario import litmus_scenario\n\n"
        f"SCENARIO = litmus_scenario({str(litmus.resolve())!r})\n"
    )
