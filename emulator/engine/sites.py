"""Where a step was issued: the source line of actor code that called into the actor API.

With ``RunConfig.sites`` on, ``Port.call`` walks up the caller frames and keeps the first one
outside the actor API. An API module says it is one by a module global ``__pcemu_api__ = True``
(every module of ``actors/api/`` does), so the engine needs no list of domain module names.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

API_MARKER = "__pcemu_api__"


class Site(NamedTuple):
    filename: str  # the code object's file name, as Python knows it
    line: int
    function: str


def _is_api(globs: dict[str, object]) -> bool:
    return bool(globs.get(API_MARKER))


def caller_site(depth: int = 2) -> Site | None:
    """The first frame above ``depth`` levels (the caller of ``Port.call``) that is not actor
    API code; None if every frame is."""
    f = sys._getframe(depth)
    while f is not None:
        if not _is_api(f.f_globals):
            return Site(f.f_code.co_filename, f.f_lineno, f.f_code.co_name)
        f = f.f_back  # type: ignore[assignment]
    return None
