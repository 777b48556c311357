"""The blocked SplitMix64 against the textbook one, drawn one value at a time."""

from __future__ import annotations

import pytest

from emulator.engine.rng import _MAX_BLOCK, Rng

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def textbook(seed: int, stream: int, count: int) -> list[int]:
    """Rng's draws as SplitMix64 makes them: the state hashed from (seed, stream), its first
    output skipped, then one increment and one mix per draw."""
    state = mix((seed * GAMMA + stream * 0xD1B54A32D192ED03) & MASK)
    out = []
    for _ in range(count + 1):
        state = (state + GAMMA) & MASK
        out.append(mix(state))
    return out[1:]


@pytest.mark.parametrize("seed", [0, 1, 9, 12345, 2**63, MASK, 10**30])
@pytest.mark.parametrize("stream", [0, 1, 7])
def test_blocks_draw_what_one_at_a_time_draws(seed: int, stream: int) -> None:
    # Past several block boundaries (4, 8, ..., then blocks of the largest size), with the
    # three ways to draw mixed, so a value lost or repeated at a boundary shows.
    count = 6 * _MAX_BLOCK + 5
    want = textbook(seed, stream, count)
    r = Rng(seed, stream)
    for i, v in enumerate(want):
        if i % 3 == 0:
            assert r.next64() == v, i
        elif i % 3 == 1:
            assert r.below(1000 + i) == v % (1000 + i), i
        else:
            assert r.chance(3, 7) == (v % 7 < 3), i
