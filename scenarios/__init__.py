"""Built-in scenarios: one module per scenario of kernel-scenarios.md section 3, grouped in one
package per LKML thread (or pair of threads) so that the code paths a thread's scenarios share
sit beside them: ``futex/`` (000, 001), ``anon_vma/`` (003), ``fault/`` (002, 004).

A module that defines ``SCENARIO`` (or ``SCENARIOS``) is part of the catalogue; shared code
paths of a thread live in modules without one. Adding a race means adding a module here.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
from pathlib import Path

from emulator.run.scenario import Scenario


def catalog() -> list[Scenario]:
    """All built-in scenarios, sorted by name (the engine finds this via an entry point)."""
    found: list[Scenario] = []
    infos = pkgutil.walk_packages(__path__, prefix=f"{__name__}.")
    for info in sorted(infos, key=lambda m: m.name):
        mod = importlib.import_module(info.name)
        one = getattr(mod, "SCENARIO", None)
        if isinstance(one, Scenario):
            found.append(one)
        found.extend(s for s in getattr(mod, "SCENARIOS", ()) if isinstance(s, Scenario))
    proved = verified()
    found = [
        dataclasses.replace(s, verified=proved[s.name]) if s.name in proved else s for s in found
    ]
    return sorted(found, key=lambda s: s.name)


def verified() -> dict[str, dict[str, str]]:
    """What ``pcemu verify`` proved of each clean variant (verify_bounds.json, written from the
    runs recorded in docs/verify.md): scenario -> variant -> one line."""
    path = Path(__file__).with_name("verify_bounds.json")
    out: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return out
    for key, rec in sorted(json.loads(path.read_text()).items()):
        name, _, variant = key.partition("/")
        n = f"{rec['executions']:,} executions"
        if rec["complete"]:
            line = f"no violation with <= {rec['bound']} preemptions ({n})"
        else:
            line = (
                f"bound {rec['bound']} not exhausted in {rec['seconds_cap']} s ({n}, no violation)"
            )
            if "proved" in rec:
                line = f"{rec['proved']}; {line}"
        if "delays" in rec:  # the delay bound (docs/verify.md), where the preemption bound is not
            d = rec["delays"]
            line += f"; no violation with <= {d['bound']} delays ({d['executions']:,} executions)"
        out.setdefault(name, {})[variant] = line
    return out
