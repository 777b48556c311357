"""A small seeded PRNG (SplitMix64), drawn a block at a time.

The standard library's ``random`` module is deliberately not used: its algorithm belongs to the
interpreter, while pcemu promises byte-identical traces for a given version and seed.

Draws are computed ``_MAX_BLOCK`` (at first fewer) at a time, all lanes of one big integer at
once: the chain's twelve operations on 64-bit words each cost CPython a new multi-digit integer,
and a run draws about two values per step (one draw was 1.3 us, 5-6 % of a short run's CPU
time; from a block, 0.5 us). SplitMix64's state only ever advances by a constant, so the k-th
draw is ``mix(state + k * GAMMA)`` whatever was drawn before it: the block gives exactly the
values that drawing one at a time gives, in the same order (``test_rng.py`` holds both to it).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _mix(z: int) -> int:
    """SplitMix64's output function: a bijection of 64-bit words that scatters neighbours."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


Block = Callable[[int], tuple[int, ...]]


def _block_of(n: int) -> Block:
    """The next ``n`` outputs after a state, all in one integer: lane ``i`` is bits
    [128i, 128i + 64). A lane's product with a 64-bit multiplier is below 2**128, so no carry
    reaches the next lane; every result is masked back to 64 bits per lane, which also drops
    what a right shift brought down from the lane above."""
    ones = sum(1 << (128 * i) for i in range(n))
    lanes = ones * _MASK
    steps = sum((((i + 1) * _GAMMA) & _MASK) << (128 * i) for i in range(n))
    unpack = struct.Struct("<" + "Q8x" * n).unpack
    size = 16 * n

    def block(state: int) -> tuple[int, ...]:
        z = (state * ones + steps) & lanes
        z = ((z ^ (z >> 30)) & lanes) * _M1 & lanes
        z = ((z ^ (z >> 27)) & lanes) * _M2 & lanes
        z = (z ^ (z >> 31)) & lanes
        return unpack(z.to_bytes(size, "little"))

    return block


# A generator's first block is small (a strategy choosing among strategies draws once), and
# each next one twice as large up to the largest.
_FIRST_BLOCK = 4
_MAX_BLOCK = 64
_BLOCKS: dict[int, Block] = {}
_n = _FIRST_BLOCK
while _n <= _MAX_BLOCK:
    _BLOCKS[_n] = _block_of(_n)
    _n *= 2
del _n


def _exhausted() -> int:
    raise StopIteration


class Rng:
    """SplitMix64: 64-bit state, one multiply-xorshift chain per draw."""

    __slots__ = ("_next", "_size", "_state")

    def __init__(self, seed: int, stream: int = 0) -> None:
        # The starting state is a hash of (seed, stream), not the point seed * gamma of the
        # Weyl sequence the draws step along: there, seed s + 1 started where seed s's second
        # draw was, so every seed drew the same values as its neighbour shifted by one, and
        # the 400 seeds of a range shared ~500 random values instead of drawing 400 times as
        # many. Hit rates then clumped by seed range (variance over 40 ranges of 300-400
        # seeds 1.1-1.5x the binomial's on three BUGGY variants; one range of 1,500 seeds
        # of anon-vma-rcu-sleep at 1.1 % against 1.8 % overall). Hashed, neighbouring seeds
        # start at unrelated points of the sequence (0.7-1.1x).
        # The first output of the sequence is skipped (as it always has been).
        self._state = (_mix((seed * _GAMMA + stream * 0xD1B54A32D192ED03) & _MASK) + _GAMMA) & _MASK
        self._size = _FIRST_BLOCK
        # The unread draws of the current block (none yet): a C iterator's __next__.
        self._next: Callable[[], int] = _exhausted

    def _refill(self) -> int:
        """Draw the next block; its first value (the rest stay in ``_next``)."""
        n = self._size
        state = self._state
        it = iter(_BLOCKS[n](state))
        self._state = (state + n * _GAMMA) & _MASK
        if n < _MAX_BLOCK:
            self._size = n * 2
        self._next = it.__next__
        return next(it)

    def next64(self) -> int:
        try:
            return self._next()
        except StopIteration:
            return self._refill()

    # below() and chance() repeat next64() inline: they are drawn several times per step.

    def below(self, n: int) -> int:
        """Uniform integer in [0, n). The modulo bias (< 2**-50 for small n) is irrelevant here."""
        try:
            return self._next() % n
        except StopIteration:
            return self._refill() % n

    def chance(self, num: int, den: int) -> bool:
        """True with probability num/den (integers only, so no float rounding differs by host)."""
        try:
            return self._next() % den < num
        except StopIteration:
            return self._refill() % den < num
