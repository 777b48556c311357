"""Mutated logs and traces through ``replay``, ``explain`` and ``shrink``: truncations, byte
flips, type swaps, huge sizes. Whatever the file holds, pcemu answers with exit status 0, 1 or 2,
one line on stderr for bad input, no traceback, within a bounded time (the default tier: about
thirty seconds in all)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.cli import main
from tests.e2e.recorded import record_run

COMMANDS = (["replay"], ["explain"], ["shrink", "--max-runs", "5", "-o", "{d}/out.pctrace"])
FUZZ = settings(
    max_examples=int(os.environ.get("PCEMU_FUZZ_EXAMPLES", "60")),  # more: a longer soak
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("PCEMU_FUZZ_EXAMPLES") is None,
)
SEEN: dict[str, int] = {"cases": 0, "tracebacks": 0}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_run(tmp_path_factory.mktemp("fuzz"))


def check(capsys: pytest.CaptureFixture[str], d: Path, path: Path, command: list[str]) -> None:
    argv = [a.replace("{d}", str(d)) for a in command] + [str(path)]
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as e:
        main(argv)
    elapsed = time.monotonic() - t0
    out, err = capsys.readouterr()
    SEEN["cases"] += 1
    if "Traceback" in err or "Traceback" in out:
        SEEN["tracebacks"] += 1
    code = e.value.code
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("pcemu: "), err
    assert elapsed < 20, (argv, elapsed)


HUGE = st.sampled_from([2**64, 2**63, -(2**63), 10**30, 1e308, float("inf"), float("nan")])
ODD = st.one_of(
    HUGE,
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.integers(-5, 5),
)


def swap(value: Any, path: list[Any], new: Any) -> Any:
    """``value`` with the item at ``path`` replaced (maps and lists, else unchanged)."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and value:
        k = sorted(value, key=str)[key % len(value)]
        return {**value, k: swap(value[k], rest, new)}
    if isinstance(value, list) and value:
        i = key % len(value)
        return [*value[:i], swap(value[i], rest, new), *value[i + 1 :]]
    return new


def bytes_mutation(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "duplicate"]))
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(out) - 1))
            out[i] = draw(st.integers(0, 255))
        return bytes(out)
    if kind == "insert":
        i = draw(st.integers(0, len(data)))
        # msgpack headers announcing huge arrays, maps, strings and bins
        blob = draw(
            st.sampled_from(
                [
                    b"\xdd\xff\xff\xff\xff",
                    b"\xdf\xff\xff\xff\xff",
                    b"\xdb\xff\xff\xff\xff",
                    b"\xc6\x7f\xff\xff\xff",
                    b"[" * 50,
                    b"9" * 5000,
                    b"\x00\xff",
                ]
            )
        )
        return data[:i] + blob + data[i:]
    i = draw(st.integers(0, len(data)))
    return data[:i] + data[i:] + data[i:]


@st.composite
def log_files(draw: st.DrawFn, lines: list[str]) -> bytes:
    if draw(st.booleans()):
        return bytes_mutation("\n".join(lines).encode() + b"\n", draw)
    events = [json.loads(x) for x in lines]
    i = draw(st.sampled_from([0, len(events) - 1]))
    path = draw(st.lists(st.integers(0, 30), min_size=1, max_size=3))
    events[i] = swap(events[i], path, draw(ODD))
    return ("\n".join(json.dumps(e) for e in events) + "\n").encode()


@st.composite
def trace_files(draw: st.DrawFn, parts: list[Any]) -> bytes:
    if draw(st.booleans()):
        return bytes_mutation(b"".join(msgpack.packb(p) for p in parts), draw)
    i = draw(st.integers(0, len(parts) - 1))
    path = draw(st.lists(st.integers(0, 30), min_size=1, max_size=4))
    new = draw(ODD.filter(lambda v: not (isinstance(v, int) and abs(v) >= 2**63)))
    changed = list(parts)
    changed[i] = swap(parts[i], path, new)
    return b"".join(msgpack.packb(p) for p in changed)


@pytest.mark.parametrize("command", COMMANDS, ids=["replay", "explain", "shrink"])
def test_mutated_logs(
    recorded: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    lines = (recorded / "r.jsonl").read_text().splitlines()

    @FUZZ
    @given(data=log_files(lines))
    def run(data: bytes) -> None:
        p = recorded / "m.jsonl"
        p.write_bytes(data)
        check(capsys, recorded, p, command)

    run()


@pytest.mark.parametrize("command", COMMANDS, ids=["replay", "explain", "shrink"])
def test_mutated_traces(
    recorded: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    u = msgpack.Unpacker(raw=False)
    u.feed((recorded / "r.pctrace").read_bytes())
    parts = list(u)

    @FUZZ
    @given(data=trace_files(parts))
    def run(data: bytes) -> None:
        p = recorded / "m.pctrace"
        p.write_bytes(data)
        check(capsys, recorded, p, command)

    run()


def test_fuzz_found_no_traceback() -> None:
    assert SEEN["tracebacks"] == 0
