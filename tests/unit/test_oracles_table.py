"""Every oracle id raised anywhere in actors/ or emulator/ has a row in actors/model/oracles.py,
and every row is raised somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from actors.model.oracles import BY_ID, ORACLES

ROOT = Path(__file__).resolve().parents[2]


def test_every_raised_oracle_is_in_the_table() -> None:
    ids: set[str] = set()
    for sub in ("actors", "emulator"):
        for p in (ROOT / sub).rglob("*.py"):
            if p.name == "oracles.py":
                continue
            ids.update(re.findall(r'"(INV-[A-Z]+-\d+)"', p.read_text()))
    assert ids <= set(BY_ID), sorted(ids - set(BY_ID))
    assert set(BY_ID) <= ids, sorted(set(BY_ID) - ids)
    assert len(ORACLES) == len(BY_ID)
    assert all(o.meaning and o.symptom for o in ORACLES)
