"""Opening what the user names: input files checked for what they are (missing, a directory, a
FIFO, unreadable, too large) and output files written whole or not at all.

Every problem is one ``BadInput`` line naming the path and the fix. Outputs are written beside
their target and renamed over it, so a full disk or a killed process never leaves half a file
and never destroys the file that was there before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from emulator.errors import BadInput

MiB = 1 << 20


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def q(path: Path | str) -> str:
    return repr(str(path))


def input_file(path: Path, what: str, fix: str, max_bytes: int | None = None) -> int:
    """Check that ``path`` is a readable regular file of at most ``max_bytes``; its size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise BadInput(f"{what} {q(path)} does not exist; {fix}") from None
    except PermissionError:
        raise BadInput(f"{what} {q(path)} cannot be read (permission denied); {fix}") from None
    except OSError as exc:
        raise BadInput(f"{what} {q(path)} cannot be read ({reason(exc)}); {fix}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(f"{what} {q(path)} is {kind_of(st.st_mode)}, not a file; {fix}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise BadInput(
            f"{what} {q(path)} is {st.st_size / MiB:.0f} MiB, over the {max_bytes // MiB} MiB "
            f"this pcemu reads; {fix}"
        )
    if not os.access(path, os.R_OK):
        raise BadInput(f"{what} {q(path)} cannot be read (permission denied); {fix}")
    return st.st_size


@contextlib.contextmanager
def reading(path: Path, what: str, fix: str) -> Iterator[IO[bytes]]:
    """Open a checked input file for binary reading; OSError while reading is bad input."""
    try:
        with path.open("rb") as f:
            yield f
    except OSError as exc:
        raise BadInput(f"{what} {q(path)} cannot be read ({reason(exc)}); {fix}") from None


def reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or type(exc).__name__


def output_file(path: Path, what: str) -> None:
    """Check, before any work is done, that ``path`` can be written as a file."""
    flag = what.split()[0] if what.startswith("-") else what
    fix = f"give a file path to {flag}"
    if path.is_dir():
        raise BadInput(f"{what} {q(path)} is a directory; {fix} (e.g. {q(path / 'run.out')})")
    if path.exists() and not path.is_file():
        raise BadInput(f"{what} {q(path)} is {kind_of(path.stat().st_mode)}; {fix}")
    parent = _existing_parent(path)
    if not parent.is_dir():
        raise BadInput(f"{what} {q(path)}: {q(parent)} is not a directory; {fix}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{what} {q(path)}: directory {q(parent)} is not writable; {fix}")
    if path.exists() and not os.access(path, os.W_OK):
        raise BadInput(f"{what} {q(path)} is not writable; {fix}")


def output_dir(path: Path, what: str) -> None:
    """Check that ``path`` is, or can be made, a writable directory."""
    if path.exists() and not path.is_dir():
        raise BadInput(f"{what} {q(path)} exists and is not a directory; give a directory")
    parent = path if path.is_dir() else _existing_parent(path)
    if not parent.is_dir():
        raise BadInput(f"{what} {q(path)}: {q(parent)} is not a directory; give a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{what} {q(path)}: {q(parent)} is not writable; give another directory")


def _existing_parent(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


@contextlib.contextmanager
def writing(path: Path, what: str, mode: str = "wb") -> Iterator[IO[Any]]:
    """Write ``path`` whole or not at all: a temporary file beside it, renamed over it at the
    end. Any OSError (a full disk, a vanished directory, permissions) is one BadInput line; the
    file that was there before is left as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BadInput(
            f"cannot write {what} {q(path)} ({reason(exc)}); free space or choose another path"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
