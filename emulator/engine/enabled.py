"""Enabledness in the hub: the pending requests as strategies see them (their arguments, labels
and footprints), and the requests the hub applies without a choice (``Enabled._forced``).

A request that would block is applied at once: it parks, as a real thread blocking on a lock
leaves the run queue. A local one (an empty footprint) is applied at once too: it commutes with
everything. Neither is a scheduling decision (see ``footprint.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack

from emulator.engine.footprint import UNKNOWN, Access
from emulator.engine.model import Model
from emulator.engine.port import Slot

_unpackb = msgpack.unpackb

# The most local steps one actor takes in a row without a choice.
LOCAL_RUN = 64


class Enabled:
    """The hub's enabledness state and queries (a part of ``hub.Runtime``)."""

    slots: list[Slot]

    def _init_enabled(self, model: Model) -> None:
        # Footprints and enabledness, when the model states them (see footprint.py).
        fp = getattr(model, "footprint", None)
        self._fp: Callable[[int, str, tuple[Any, ...]], tuple[Access, ...]] | None = (
            fp if callable(fp) else None
        )
        wb = getattr(model, "would_block", None)
        self._wb: Callable[[int, str, tuple[Any, ...], bool], bool] | None = (
            wb if callable(wb) else None
        )
        self._blocking: frozenset[str] = (
            frozenset(getattr(model, "blocking_ops", ())) if self._wb is not None else frozenset()
        )
        # Ops whose footprint may be empty, when the model says (the others are never local:
        # their footprint need not be asked before a choice).
        lo = getattr(model, "local_ops", None)
        self._local_ops: frozenset[str] | None = frozenset(lo) if lo is not None else None
        self.aware = self._fp is not None or self._wb is not None
        self._parks = False  # the request _forced returned would block (else: it is local)
        self.forced = 0  # steps applied without a choice (parks that block, local steps)
        # Local steps of one actor in a row: an actor that spins on steps touching nothing the
        # model owns (it waits on state outside the model) would otherwise never yield.
        self._local_actor = -1
        self._local_run = 0

    def pending_args(self, actor: int) -> tuple[Any, ...]:
        slot = self.slots[actor]
        args = slot.args
        if args is None:
            args = slot.args = _unpackb(slot.raw, use_list=False)[5]
        return args

    def footprint(self, actor: int) -> tuple[Access, ...]:
        """What the pending request of ``actor`` touches (UNKNOWN without model footprints)."""
        slot = self.slots[actor]
        fp = slot.fp
        if fp is None:
            f = self._fp
            fp = slot.fp = f(actor, slot.op, self.pending_args(actor)) if f is not None else UNKNOWN
        return fp

    def label(self, actor: int) -> str:
        return self.slots[actor].label

    def _forced(self, runnable: list[int]) -> Slot | None:
        """A runnable request to apply without a choice: one that would block or a local one.
        The lowest actor index first, so the order is fixed."""
        slots = self.slots
        wb = self._wb
        blocking = self._blocking
        local_ops = self._local_ops
        for idx in runnable:
            s = slots[idx]
            op = s.op
            if wb is not None and op in blocking and wb(idx, op, self.pending_args(idx), s.resumed):
                self._parks = True
                return s
            if local_ops is not None and op not in local_ops:
                continue
            fp = s.fp
            if fp is None:
                fp = self.footprint(idx)
            if not fp:
                if idx == self._local_actor:
                    if self._local_run >= LOCAL_RUN:
                        continue  # a choice like any other step this time
                    self._local_run += 1
                else:
                    self._local_actor, self._local_run = idx, 1
                self._parks = False
                return s
        self._local_actor = -1
        return None
