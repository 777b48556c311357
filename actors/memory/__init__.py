"""Memory models (SC, TSO, WEAK) behind one interface: see ``base.MemoryModel``."""

from actors.memory.base import FENCES, MemoryModel, make_memory
from actors.memory.sc import SC
from actors.memory.tso import TSO
from actors.memory.weak import WEAK

__all__ = ["FENCES", "SC", "TSO", "WEAK", "MemoryModel", "make_memory"]
