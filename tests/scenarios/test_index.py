"""The index of built-in scenarios (``scenarios/index.py``): each name and the module that
defines it, so that ``pcemu run/hunt/replay NAME`` imports that module alone. It is generated
(``python -m scenarios``); these tests fail when it is stale, and show that a stale index costs
time, never a wrong or missing scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scenarios
from emulator.run.catalog import builtin
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
