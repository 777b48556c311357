"""End-to-end fixtures: no soak outlives the test that started it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.soak_helpers import Soak


@pytest.fixture(autouse=True)
def no_soak_left_running() -> Iterator[None]:
    yield
    while Soak.started:
        Soak.started.pop().kill()
