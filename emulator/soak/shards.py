"""``--shard I/N`` and ``--shard auto/N``.

``I/N`` is explicit: a machine, or a Kubernetes Indexed Job pod (``--shard
$(JOB_COMPLETION_INDEX)/N``), runs its share of the seeds into its own ``--out``. Either way the
directory a soak writes is locked (``.lock``): two soaks never share a store by mistake.

``auto/N`` is for N identical replicas sharing one volume (``docker compose up --scale
soak=N``), which cannot be told apart by their command: each claims the first shard I whose
lock it can take, ``OUT/shard-I-of-N/.lock``, and soaks into that directory. The lock is held
for the life of the process and released by the kernel when it ends however it ends, so a
restarted replica claims a free shard again and ``--resume`` continues it.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

from emulator.errors import BadInput, cut
from emulator.run.inputs import kind_of, write_failure
from emulator.soak.plan import Shard, check_shards, decimal

_held: list[int] = []  # lock file descriptors, open until the process exits


def _lock(directory: Path) -> bool:
    """Take ``directory/.lock`` for the life of this process; False if another process has it.
    A lock that cannot be taken (a directory in its place, permissions) is one BadInput line."""
    lock = directory / ".lock"
    if os.path.lexists(directory) and not directory.is_dir():
        raise BadInput(
            f"the soak directory {str(directory)!r} is a file, not a directory; move it away, "
            "or give another --out"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        st = os.lstat(lock) if os.path.lexists(lock) else None
        if st is not None and not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else kind_of(st.st_mode)
            raise BadInput(
                f"the soak's lock file {str(lock)!r} is {kind}, not a regular file; remove it "
                "and run the command again (pcemu makes the lock file itself)"
            )
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        why, fix = write_failure(exc, directory)
        raise BadInput(f"cannot take the soak's lock file {str(lock)!r} ({why}); {fix}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    except OSError as exc:
        os.close(fd)
        raise BadInput(
            f"cannot lock the soak's lock file {str(lock)!r} ({exc.strerror or exc}); give an "
            "--out on a file system that supports locks"
        ) from None
    _held.append(fd)
    return True


def resolve(text: str, out: Path) -> tuple[Shard, Path]:
    """The shard and output directory this soak uses, locked against a second soak in it."""
    head, sep, tail = text.strip().partition("/")
    if head.strip().lower() != "auto":
        shard = Shard.parse(text)
        if not _lock(out):
            raise BadInput(
                f"another soak is running in --out {str(out)!r}; give this one another --out, "
                "or --shard auto/N to replicas that share a volume"
            )
        return shard, out
    n = decimal(tail) if sep else None
    if n is None or n < 1:
        raise BadInput(f"--shard {cut(text)!r}: write auto/N with N >= 1, e.g. --shard auto/4")
    check_shards(n, text)
    for i in range(n):
        directory = out / f"shard-{i}-of-{n}"
        if _lock(directory):
            return Shard(i, n), directory
    raise BadInput(
        f"--shard {cut(text)!r}: all {n} shards under {str(out)!r} are taken by running soaks; "
        "stop one or start them with a larger N"
    )


def release_all() -> None:
    """Give the claimed shards back (tests; a process that exits releases them anyway)."""
    while _held:
        os.close(_held.pop())
