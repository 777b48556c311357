"""``--shard I/N`` and ``--shard auto/N``.

``I/N`` is explicit: a machine, or a Kubernetes Indexed Job pod (``--shard
$(JOB_COMPLETION_INDEX)/N``), runs its share of the seeds into its own ``--out``.

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


def resolve(text: str, out: Path) -> tuple[Shard, Path]:
    """The shard and output directory this soak uses."""
    head, sep, tail = text.strip().partition("/")
    if head.strip().lower() != "auto":
        return Shard.parse(text), out
    if not sep or not tail.strip().isdigit() or int(tail) < 1:
        raise BadInput(f"--shard {text!r}: write auto/N with N >= 1, e.g. --shard auto/4")
    n = int(tail)
    for i in range(n):
        directory = out / f"shard-{i}-of-{n}"
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _held.append(fd)
        return Shard(i, n), directory
    raise BadInput(
        f"--shard {text!r}: all {n} shards under {str(out)!r} are taken by running soaks; "
        "stop one or start them with a larger N"
    )


def release_all() -> None:
    """Give the claimed shards back (tests; a process that exits releases them anyway)."""
    while _held:
        os.close(_held.pop())
