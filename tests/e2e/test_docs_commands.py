"""Every command in a ```sh block of the README and the docs runs, in document order, in one
scratch directory, and exits as documented: ``run``/``hunt`` 0 or 1 (clean or a violation
found), every other pcemu command 0; never 2 (the docs show valid usage) and never a traceback.
Lines that need a soak, Docker, Kubernetes, the network or a package install are skipped, each
with its reason."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from emulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

SKIP = {
    "docker": "needs a container engine (docker/ci.sh runs these)",
    "curl": "needs a running soak's status endpoint",
    "kubectl": "needs a Kubernetes cluster",
    "sudo": "installs system packages",
    "apt-get": "installs system packages",
    "pip": "installs packages",
    "python3 -m venv": "makes a virtualenv",
    "pytest": "the test suite itself",
    "soak": "a soak runs for minutes (tests/e2e/test_soak*.py cover it)",
    "findings": "needs a soak's findings store",
    "--finding": "needs a soak's findings store",
}


def commands() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), flags=re.S):
            for line in block.splitlines():
                cmd = line.split("  #")[0].split(" # ")[0].strip()
                if cmd:
                    out.append((doc.name, cmd))
    return out


def skip_reason(cmd: str) -> str | None:
    for word, why in SKIP.items():
        if re.search(rf"(^|\s|/){re.escape(word)}(\s|$)", cmd):
            return why
    return None


ALL = commands()


def test_the_docs_have_commands() -> None:
    assert len([c for _, c in ALL if c.startswith("pcemu ")]) >= 15


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "examples", d / "examples")
    return d


@pytest.mark.parametrize(("doc", "cmd"), ALL, ids=[f"{d}: {c}"[:90] for d, c in ALL])
def test_documented_command(
    scratch: Path,
    doc: str,
    cmd: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = skip_reason(cmd)
    if why is not None:
        pytest.skip(why)
    monkeypatch.chdir(scratch)
    for part in cmd.split("&&"):
        argv = shlex.split(part)
        assert argv[0] == "pcemu", f"{doc}: unexpected command {part!r}"
        with pytest.raises(SystemExit) as e:
            main(argv[1:])
        _out, err = capsys.readouterr()
        allowed = (0, 1) if argv[1] in ("run", "hunt") else (0,)
        assert e.value.code in allowed, f"{doc}: {part} -> {e.value.code}\n{err}"
        assert "Traceback" not in err
