"""pcemu's entry point reader (emulator/run/entrypoints.py) gives what importlib.metadata gives,
in the same order: over every group installed here, and over made-up distributions that test
its rules (the first distribution of a name wins, groups and comments, names in any case, a zip
on sys.path handed to importlib.metadata)."""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator
from importlib.metadata import distributions
from importlib.metadata import entry_points as by_importlib
from pathlib import Path

import pytest

from emulator.run import entrypoints
from emulator.run.entrypoints import entry_points, load, parts


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    entrypoints._every.cache_clear()
    yield
    entrypoints._every.cache_clear()


def expected(group: str) -> list[tuple[str, str]]:
    return [(ep.name, ep.value) for ep in by_importlib(group=group)]


def test_every_installed_group_reads_as_importlib_reads_it() -> None:
    groups = {ep.group for d in distributions() for ep in d.entry_points}
    assert {"pcemu.scenarios", "pcemu.commands", "console_scripts"} <= groups
    for group in sorted(groups):
        assert entry_points(group) == expected(group), group


def dist(where: Path, dirname: str, text: str | None) -> None:
    d = where / dirname
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Name: {dirname.partition('-')[0]}\nVersion: 1\n")
    if text is not None:
        (d / "entry_points.txt").write_text(text)


def test_made_up_distributions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    dist(a, "Alpha_Pkg-1.0.dist-info", "# a comment\n[pcemu.x]\n one = alpha.mod:thing\n\n")
    dist(a, "beta-2.0.dist-info", "[pcemu.x]\ntwo=beta:fn.attr [extra]\n[other]\nz = q:r\n")
    dist(a, "gamma-0.1.egg-info", None)  # no entry points
    # the same distribution again, further along sys.path: importlib.metadata keeps the first
    dist(b, "alpha.pkg-3.0.dist-info", "[pcemu.x]\nshadowed = no:no\n")
    dist(b, "delta-1.dist-info", "[pcemu.x]\none = delta:again\n")
    monkeypatch.setattr(sys, "path", [str(a), str(tmp_path / "missing"), str(b)])
    assert entry_points("pcemu.x") == expected("pcemu.x")
    assert [n for n, _v in entry_points("pcemu.x")] == ["one", "two", "one"]
    assert entry_points("other") == expected("other") == [("z", "q:r")]
    assert entry_points("none") == []


def test_a_zip_on_sys_path_is_left_to_importlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zeta-1.dist-info/METADATA", "Name: zeta\nVersion: 1\n")
        z.writestr("zeta-1.dist-info/entry_points.txt", "[pcemu.x]\nz = zeta:z\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert entrypoints._every() is None
    assert entry_points("pcemu.x") == expected("pcemu.x") == [("z", "zeta:z")]


def test_parts_and_load() -> None:
    assert parts("actors.litmus.cli:litmus") == ("actors.litmus.cli", "litmus")
    assert parts("pkg.mod:a.b [extra]") == ("pkg.mod", "a.b")
    assert parts("pkg.mod") == ("pkg.mod", "")
    assert load("emulator.run.entrypoints:entry_points") is entry_points
    assert load("emulator.run:entrypoints") is entrypoints
    with pytest.raises(ValueError, match="not module:attribute"):
        parts("not a value")
