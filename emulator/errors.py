"""What goes wrong outside a run's oracles, and how the command line answers it.

- ``BadInput``: a user error (unknown scenario, bad option, unreadable or malformed file, an
  output that cannot be written ...). The message is the one line: it names the bad value and
  the fix. Exit status 2.
- ``ScenarioError``: scenario or model code raised a Python exception (a bug in a user script or
  in pcemu, not a race): one ``emulator-error`` line naming the actor, the step label and the
  scenario line. Exit status 2, never 1 (1 means an oracle found a violation).
- ``Interrupted``: SIGINT or SIGTERM arrived; the command stopped at a clean point. Exit status
  128 + the signal number.
"""

from __future__ import annotations

SHOWN = 60  # characters of a user's value a message quotes


def cut(text: str, most: int = SHOWN) -> str:
    """A user's value as a message names it: whole when short, else its first ``most``
    characters, "..." and its length (a pasted 5,000-character value is not echoed back)."""
    if len(text) <= most:
        return text
    return f"{text[:most]}... ({len(text):,} characters)"


class BadInput(Exception):
    """A user error (unknown scenario, bad option, unreadable log ...). Message = the one line."""


class ScenarioError(Exception):
    """Scenario or model code raised. Message = the one line; ``detail`` = the traceback (shown
    with ``-v``)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Interrupted(Exception):
    """A signal asked the command to stop; ``progress`` says how far it got."""

    def __init__(self, signum: int, progress: str = "") -> None:
        super().__init__(progress)
        self.signum = signum
        self.progress = progress
