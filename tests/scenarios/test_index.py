"""The index of built-in scenarios (``scenarios/index.py``): each name and the module that
defines it, so that ``pcemu run/hunt/replay NAME`` imports that module alone. It is generated
(``python -m scenarios``); these tests fail when it is stale, and show that a stale index costs
time, never a wrong or missing scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scenarios
from emulator.run.catalog import builtin
from emulator.run.session import run_once
from scenarios import catalog, index_source
from scenarios.index import MODULES

ROOT = Path(__file__).resolve().parents[2]


def test_the_index_is_current() -> None:
    text = (ROOT / "scenarios" / "index.py").read_text()
    assert text == index_source(), "scenarios/index.py is stale: run `python -m scenarios`"


def test_the_index_names_every_scenario_once() -> None:
    assert sorted(MODULES) == sorted(builtin())
    assert all(m.startswith("scenarios.") for m in MODULES.values())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_one_by_name_is_the_catalogues(name: str) -> None:
    assert catalog(name) == [builtin()[name]]


def test_an_unknown_name_is_no_scenario() -> None:
    assert catalog("no-such-race") == []


def test_a_stale_index_still_finds_the_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    want = builtin()["anon-vma-reuse"]
    # moved: the module it names is gone
    monkeypatch.setitem(MODULES, "anon-vma-reuse", "scenarios.anon_vma.gone")
    assert catalog("anon-vma-reuse") == [want]
    # renamed: the module it names defines another scenario
    monkeypatch.setitem(MODULES, "anon-vma-reuse", MODULES["dirty-cow"])
    assert catalog("anon-vma-reuse") == [want]
    # new: not in the index yet
    monkeypatch.delitem(MODULES, "anon-vma-reuse")
    assert catalog("anon-vma-reuse") == [want]


def test_a_module_that_fails_to_import_is_not_taken_for_a_stale_index(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A scenario module whose own import fails must fail the lookup, as the full walk would.
    (tmp_path / "pcemu_broken_scenario.py").write_text("import pcemu_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(MODULES, "broken", "pcemu_broken_scenario")
    with pytest.raises(ModuleNotFoundError, match="pcemu_no_such_dependency"):
        catalog("broken")


def test_python_m_scenarios_check_says_the_index_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scenarios", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.strip().endswith("index.py: up to date")
    assert Path(scenarios.__file__).parent == ROOT / "scenarios"


# One process per scenario, which imports that scenario's module alone (as pcemu run NAME does),
# runs the same seeds as this process, which has imported every scenario: a scenario must not
# depend on what another scenario's import left behind.
ALONE = """
import json, sys
from emulator.run.session import run_once
from scenarios.index import MODULES
name = sys.argv[1]
hashes = [run_once(name, v, seed, s).outcome.trace_hash
          for v in ("buggy", "fixed") for s in ("mix", "chaos") for seed in range(3)]
others = [m for n, m in MODULES.items() if n != name and m in sys.modules]
assert len(others) <= 1, others  # at most one whose code paths it shares
print(json.dumps(hashes))
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_scenario_alone_runs_as_in_the_whole_catalogue(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ALONE, name], capture_output=True, text=True, check=True
    )
    want = [
        run_once(name, v, seed, s).outcome.trace_hash
        for v in ("buggy", "fixed")
        for s in ("mix", "chaos")
        for seed in range(3)
    ]
    assert json.loads(done.stdout) == want
