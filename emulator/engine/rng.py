"""A small seeded PRNG (SplitMix64).

The standard library's ``random`` module is deliberately not used: its algorithm belongs to the
interpreter, while pcemu promises byte-identical traces for a given version and seed.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1


def _mix(z: int) -> int:
    """SplitMix64's output function: a bijection of 64-bit words that scatters neighbours."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Rng:
    """SplitMix64: 64-bit state, one multiply-xorshift chain per draw."""

    __slots__ = ("_state",)

    def __init__(self, seed: int, stream: int = 0) -> None:
        # The starting state is a hash of (seed, stream), not the point seed * gamma of the
        # Weyl sequence the draws step along: there, seed s + 1 started where seed s's second
        # draw was, so every seed drew the same values as its neighbour shifted by one, and
        # the 400 seeds of a range shared ~500 random values instead of drawing 400 times as
        # many. Hit rates then clumped by seed range (variance over 40 ranges of 300-400
        # seeds 1.1-1.5x the binomial's on three BUGGY variants; one range of 1,500 seeds
        # of anon-vma-rcu-sleep at 1.1 % against 1.8 % overall). Hashed, neighbouring seeds
        # start at unrelated points of the sequence (0.7-1.1x).
        self._state = _mix((seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) & _MASK)
        self.next64()

    def next64(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    # below() and chance() repeat next64() inline, with the mask as a literal (a constant, not
    # a global looked up three times): they are drawn several times per step.

    def below(self, n: int) -> int:
        """Uniform integer in [0, n). The modulo bias (< 2**-50 for small n) is irrelevant here."""
        z = self._state = (self._state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return (z ^ (z >> 31)) % n

    def chance(self, num: int, den: int) -> bool:
        """True with probability num/den (integers only, so no float rounding differs by host)."""
        z = self._state = (self._state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return (z ^ (z >> 31)) % den < num
