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
from pathlib import Path

from emulator.errors import BadInput
from emulator.soak.plan import Shard

_held: list[int] = []  # lock file descriptors, open until the process exits


def _lock(directory: Path) -> bool:
    """Take ``directory/.lock`` for the life of this process; False if another process has it."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
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
    if not sep or not tail.strip().isdigit() or int(tail) < 1:
        raise BadInput(f"--shard {text!r}: write auto/N with N >= 1, e.g. --shard auto/4")
    n = int(tail)
    for i in range(n):
        directory = out / f"shard-{i}-of-{n}"
        if _lock(directory):
            return Shard(i, n), directory
    raise BadInput(
        f"--shard {text!r}: all {n} shards under {str(out)!r} are taken by running soaks; "
        "stop one or start them with a larger N"
    )


def release_all() -> None:
    """Give the claimed shards back (tests; a process that exits releases them anyway)."""
    while _held:
        os.close(_held.pop())
