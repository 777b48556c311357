"""Built-in scenarios: one module per scenario of kernel-scenarios.md section 3, grouped in one
package per LKML thread (or pair of threads) so that the code paths a thread's scenarios share
sit beside them: ``futex/`` (000, 001), ``anon_vma/`` (003), ``fault/`` (002, 004).

A module that defines ``SCENARIO`` (or ``SCENARIOS``) is part of the catalogue; shared code
paths of a thread live in modules without one. Adding a race means adding a module here.
"""

from __future__ import annotations

import importlib
import pkgutil

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
    return sorted(found, key=lambda s: s.name)
