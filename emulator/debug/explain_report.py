"""The run report of ``pcemu run``, ``hunt`` and ``replay``: the verdict and the run's numbers
(``emulator.run.report.head``), then the same explanation ``pcemu explain`` gives (source lines,
locks, RCU sections, reuse and stale uses, the key fact, the objects the race touched), and the
commands that reproduce it.

A failure is explained from a run that kept its facts and source sites. A run made without them
(every ordinary run: they cost time) is run once more with them, from the same seed or choices;
that changes nothing the run does, and the trace hash is checked to be sure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from emulator.debug.explain import explain
from emulator.debug.explain_text import report_lines
from emulator.engine.config import RunResult
from emulator.run.report import head
from emulator.run.scenario import Scenario
from emulator.run.session import RunSpec, execute


def with_sites(spec: RunSpec, result: RunResult) -> RunResult:
    """The failing run again, keeping facts and sites (one run); the run itself if it has
    them, if it passed, or if the second run differs (it must not)."""
    if not result.outcome.failed or result.sites or result.divergence:
        return result
    _scen, again = execute(spec, facts=True, sites=True)
    return again if again.outcome.trace_hash == result.outcome.trace_hash else result


def report(
    header: dict[str, Any],
    scen: Scenario,
    result: RunResult,
    repro: Sequence[str],
    verbose: bool = False,
) -> list[Text]:
    """Report lines: failures in full; clean runs as their header (``verbose``: and a compact
    interleaving)."""
    lines = head(header, result)
    if not result.outcome.failed and not verbose:
        return report_lines_plain(lines, repro)
    e = explain(header, scen, result)
    return report_lines(e, lines, repro, verbose, detail=not result.divergence)


def report_lines_plain(lines: Sequence[str], repro: Sequence[str]) -> list[Text]:
    out = [Text(lines[0], style="bold green"), *(Text(x) for x in lines[1:])]
    if repro:
        out += [Text(""), Text("Reproduce:"), *(Text(f"  {c}") for c in repro)]
    return out
