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
from collections.abc import Iterable, Iterator, Sequence
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


def write_failure(exc: OSError, where: Path) -> tuple[str, str]:
    """Why the OS refused to write a file in directory ``where`` (an output, or the temporary
    file beside it), and the fix that fits that reason: (reason, fix)."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        why = "no space left on device" if code == errno.ENOSPC else "disk quota exceeded"
        return why, "free space or choose another path"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied", f"fix the permissions of {q(where)} or choose another path"
    if code == errno.EROFS:
        return "read-only file system", "choose a path on a writable file system"
    if code == errno.ENOENT:
        # The directory is there (it was made if missing), yet a file cannot be created in it:
        # a virtual file system such as /proc.
        return (
            f"directory {q(where)} does not take new files: {exc.strerror}",
            "choose a path on a disk file system",
        )
    if code == errno.EISDIR:
        return "it is a directory", "give a file path"
    if code == errno.ENOTDIR:
        return "a part of the path is not a directory", "choose another path"
    if code == errno.ENAMETOOLONG:
        return "file name too long", "choose a shorter path"
    if code == errno.EFBIG:
        return "file too large for its file system", "choose a path on another file system"
    if code in (errno.EMFILE, errno.ENFILE):
        return "too many open files", "raise the limit (ulimit -n) or close other programs"
    if code == errno.EIO:
        return "input/output error", "check the disk, or choose a path on another one"
    return reason(exc), "choose another path"


def same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name one file: the same path once ``..`` and symlinks are followed,
    or two hard links to one inode?"""
    try:
        if os.path.samefile(a, b):
            return True
    except (OSError, ValueError):
        pass  # one of them does not exist (yet)
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return a.absolute() == b.absolute()


def not_an_input(out: Path, what: str, inputs: Iterable[tuple[str, Path | None]]) -> None:
    """Refuse, before any work is done, an output that is one of the command's own inputs
    (``inputs``: what each is, e.g. "the recording", and its path): writing it would destroy
    the input."""
    for name, src in inputs:
        if src is not None and same_file(out, src):
            raise BadInput(
                f"{what} {q(out)} would overwrite {name} {q(src)} that this command reads; "
                f"give {_flag(what)} another path"
            )


def distinct_outputs(outputs: Sequence[tuple[str, Path | None]]) -> None:
    """Two outputs of one command that are one file: the second would overwrite the first."""
    given = [(flag, p) for flag, p in outputs if p is not None]
    for i, (flag_a, a) in enumerate(given):
        for flag_b, b in given[i + 1 :]:
            if same_file(a, b):
                if a.absolute() == b.absolute():
                    raise BadInput(
                        f"{flag_a} and {flag_b} are both {q(a)}; give two different files"
                    )
                raise BadInput(
                    f"{flag_a} {q(a)} and {flag_b} {q(b)} are the same file; give two different "
                    "files"
                )


def _flag(what: str) -> str:
    return what.split()[0] if what.startswith("-") else what


def _probe(directory: Path) -> OSError | None:
    """Create (and remove) a file in ``directory`` as writing an output there will: the OS's
    answer, before any work is done, to whether it can be written."""
    tmp = directory / f".pcemu-probe.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as exc:
        return exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    return None


def output_file(path: Path, what: str) -> None:
    """Check, before any work is done, that ``path`` can be written as a file."""
    flag = _flag(what)
    fix = f"give a file path to {flag}"
    no_broken_link(path, what, itself=False)  # the file itself: written in the link's place
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
    _writable(path, what)


def _writable(path: Path, what: str) -> None:
    """The OS's answer, before any work is done, to whether a file can be made where ``path``
    (a file, or a directory still to be made) will be written."""
    where = _existing_parent(path / "-") if path.is_dir() else _existing_parent(path)
    exc = _probe(where)
    if exc is not None:
        why, fix = write_failure(exc, where)
        raise BadInput(f"{what} {q(path)} cannot be written ({why}); {fix}")


def no_broken_link(path: Path, what: str, itself: bool = True) -> None:
    """Refuse a ``path`` that is (``itself``), or lies under, a symbolic link that leads
    nowhere: to a missing target, or round a loop. ``exists()`` says False for both, so the
    directory was "missing", and making it failed with the OS's bare "(File exists)"."""
    for p in [path, *path.parents] if itself else list(path.parents):
        try:
            if not p.is_symlink() or os.path.exists(p):
                continue
            target = os.readlink(p)
            p.stat()
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOENT, errno.ENOTDIR):
                lead = f"{what} {q(path)}" + ("" if p == path else f": {q(p)}")
                which = (
                    "a symbolic link loop"
                    if exc.errno == errno.ELOOP
                    else f"a broken symbolic link (to {q(target)}, which does not exist)"
                )
                raise BadInput(f"{lead} is {which}; remove it, or give another directory") from None
            return  # another reason: the checks that follow name it


def output_dir(path: Path, what: str) -> None:
    """Check that ``path`` is, or can be made, a writable directory."""
    no_broken_link(path, what)
    try:
        exists = path.exists()
    except OSError as exc:  # a name too long for the file system, a path too deep
        raise BadInput(
            f"{what} {q(path)} cannot be used ({exc.strerror or type(exc).__name__}); "
            "give another directory"
        ) from None
    if exists and not path.is_dir():
        raise BadInput(f"{what} {q(path)} exists and is not a directory; give a directory")
    parent = path if path.is_dir() else _existing_parent(path)
    if not parent.is_dir():
        raise BadInput(f"{what} {q(path)}: {q(parent)} is not a directory; give a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{what} {q(path)}: {q(parent)} is not writable; give another directory")
    _writable(path, what)


def _existing_parent(path: Path) -> Path:
    p = path.absolute().parent
    while not _exists(p) and p != p.parent:
        p = p.parent
    return p


def _exists(p: Path) -> bool:
    """``p.exists()``, where a name the file system refuses (too long) does not exist rather
    than raising out of the code that is about to name the failure."""
    try:
        return p.exists()
    except OSError:
        return False


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
        why, fix = write_failure(exc, _existing_parent(path))
        raise BadInput(f"cannot write {what} {q(path)} ({why}); {fix}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
