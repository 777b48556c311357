"""The page-cache actor's full model: every primitive family composed into one state machine."""

from __future__ import annotations

from actors.anon import AnonMixin
from actors.futex import FutexMixin
from actors.gup import GupMixin
from actors.rcu import RcuMixin


class PageCacheModel(FutexMixin, GupMixin, AnonMixin, RcuMixin):
    """All kernel state of one run; owns every object and applies every primitive atomically."""
