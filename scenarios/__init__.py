"""Built-in scenarios: one module per scenario of kernel-scenarios.md section 3.

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
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        one = getattr(mod, "SCENARIO", None)
        if isinstance(one, Scenario):
            found.append(one)
        found.extend(s for s in getattr(mod, "SCENARIOS", ()) if isinstance(s, Scenario))
    return sorted(found, key=lambda s: s.name)
