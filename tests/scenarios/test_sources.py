"""Every built-in scenario module states, per variant, which kernel source it was compared
with (module constant SOURCES), for `pcemu show` and the catalogue."""

from __future__ import annotations

import importlib

from scenarios import catalog


def test_every_variant_names_its_source() -> None:
    for scen in catalog():
        mod = importlib.import_module(scen.build.__module__)
        sources = getattr(mod, "SOURCES", None)
        assert isinstance(sources, dict), scen.name
        assert set(sources) == set(scen.variants), (scen.name, sorted(sources))
        assert all(isinstance(v, str) and v for v in sources.values()), scen.name
