"""The page-cache actor's full model: every primitive family composed into one state machine."""

from __future__ import annotations

from actors.anon import AnonMixin
from actors.fault import FaultMixin
from actors.fuse import FuseMixin
from actors.futex import FutexMixin
from actors.gup import GupMixin
from actors.rcu import RcuMixin
from actors.truncate import TruncateMixin


class PageCacheModel(
    FutexMixin, GupMixin, FaultMixin, TruncateMixin, FuseMixin, AnonMixin, RcuMixin
):
    """All kernel state of one run; owns every object and applies every primitive atomically."""
