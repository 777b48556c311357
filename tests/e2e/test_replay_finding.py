"""``pcemu replay --finding ID --from DIR``: a soak finding replayed by its id (its sig, or an
unambiguous prefix), through the soak's findings store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from emulator.run.artifacts import save
from emulator.run.session import RunSpec, execute
from emulator.soak.findings import classify
from emulator.soak.rows import BatchRow, Hit
from emulator.soak.store import Store
from tests.e2e.invoke import pcemu
from tests.e2e.seeds import first_seed, lock_failure


def soak_dir(tmp_path: Path, with_trace: bool = True, strategy: str = "mix") -> tuple[Path, str]:
    """A findings store holding one finding of anon-vma-reuse, as a soak worker leaves it."""
    out = tmp_path / "soak"
    out.mkdir()
    seed = first_seed(lock_failure).seed  # trips INV-LOCK-1 at W2 under mix
    spec = RunSpec(scenario="anon-vma-reuse", variant="buggy", seed=seed)
    scen, result = execute(spec)
    found = classify(scen, spec.scenario, spec.variant, result)
    assert found is not None
    trace = "findings/f.pctrace" if with_trace else None
    if trace:
        save(spec.header(scen), result, None, out / trace)
    store = Store(out)
    try:
        store.commit_batch(
            BatchRow(
                f"anon-vma-reuse|buggy|{strategy}",
                "0/1",
                0,
                seed,
                seed + 1,
                1,
                result.outcome.steps,
                1,
            ),
            [Hit(found, 1, seed, strategy, replace(spec, strategy=strategy), None, trace)],
            None,
        )
    finally:
        store.close()
    return out, found.sig


def test_replay_a_finding_by_id_and_by_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, sig = soak_dir(tmp_path)
    steps = first_seed(lock_failure).steps
    for ident in (sig, sig[:6].upper()):
        code, stdout, err = pcemu(capsys, "replay", "-q", "--finding", ident, "--from", str(out))
        assert code == 0, err
        assert stdout.startswith(f"replay: reproduced (violation, {steps} steps")


def test_unknown_or_traceless_finding_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, sig = soak_dir(tmp_path, with_trace=False)
    code, _, err = pcemu(capsys, "replay", "--finding", "ffffffff", "--from", str(out))
    assert code == 2
    assert err == (
        f"pcemu: error: no finding 'ffffffff' in '{out}'; list ids with "
        f"pcemu findings {out} --json\n"
    )
    code, _, err = pcemu(capsys, "replay", "--finding", sig, "--from", str(out))
    assert code == 2
    assert err.startswith(f"pcemu: error: finding {sig} (violation INV-LOCK-1 at W2) left no trace")
    code, _, err = pcemu(capsys, "replay", "--finding", sig)
    assert code == 2
    assert err == "pcemu: error: --finding ID needs --from DIR (the soak directory) and no FILE\n"
    code, _, err = pcemu(capsys, "replay")
    assert code == 2
    assert err == "pcemu: error: give a --log or --trace FILE, or --finding ID --from DIR\n"


def test_a_traceless_rff_finding_is_not_sent_to_pcemu_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, sig = soak_dir(tmp_path, with_trace=False, strategy="rff")
    code, _, err = pcemu(capsys, "replay", "--finding", sig, "--from", str(out))
    assert code == 2 and "reproduced only by its recorded choices" in err
    assert "pcemu run" not in err
