"""Artifact paths: what a findings store may name, and the only files it may write or delete.

A store is data from disk, and disk is not trusted: a crafted or damaged ``findings.db`` must
not make ``pcemu findings --merge`` write outside its directory, nor make a soak delete a file
it did not write. So a path read from a store is accepted only if

- it is relative (an absolute path inside the store's own directory, which old stores wrote,
  is converted), with no ``..`` and no empty or ``.`` part;
- it lies in the store's ``findings/`` folder and ends in ``.jsonl`` or ``.pctrace`` (workers
  write ``findings/<signature>/<strategy>-<seed>.*``), so a store only ever names, and
  deletes, reproducer files of its own;
- it resolves inside that folder: no symlink on the way leads out.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from emulator.errors import BadInput

ARTIFACTS = "findings"
_SHAPE = re.compile(r"findings/(?:[^/]+/)*[^/]+\.(?:jsonl|pctrace)")


class UnsafePath(BadInput):
    """A path from a store that names something outside what the store owns."""


def artifact_paths(sig: str, strategy: str, seed: int) -> tuple[str, str]:
    """Paths, relative to the soak directory, of a reproducer's log and trace."""
    stem = f"{ARTIFACTS}/{sig}/{strategy}-{seed}"
    return f"{stem}.jsonl", f"{stem}.pctrace"


def inside(directory: Path, rel: str) -> bool:
    """Does ``directory / rel`` resolve inside ``directory`` (symlinks followed)?"""
    try:
        root = directory.resolve()
        target = (directory / rel).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False
    return target != root and root in target.parents


def relative(directory: Path, text: object, db: Path | None = None) -> str | None:
    """A stored artifact path, checked: the relative path, or None when none is stored.
    UnsafePath (one line naming the store and the fix) for anything else."""
    if text is None or text == "":
        return None
    where = str(db or directory / "findings.db")
    if not isinstance(text, str) or "\x00" in text:
        raise UnsafePath(
            f"{where!r} names an artifact by a non-text value {str(text)[:60]!r}; the store is "
            "damaged: restore it from a copy, or move it away and start a new --out"
        )
    rel = text
    p = PurePosixPath(text)
    if p.is_absolute():
        # Old stores wrote absolute paths; one inside this directory is read as relative.
        try:
            rel = str(PurePosixPath(Path(text).resolve()).relative_to(directory.resolve()))
        except (ValueError, OSError, RuntimeError):
            rel = text
    parts = rel.split("/")
    if (
        _SHAPE.fullmatch(rel) is None
        or any(part in ("", ".", "..") for part in parts)
        or not inside(directory, rel)
        or not inside(directory / ARTIFACTS, "/".join(parts[1:]))
    ):
        raise UnsafePath(
            f"{where!r} names an artifact {text[:120]!r} outside its findings/ folder; refusing "
            "to read, write or delete it: remove that store (or restore it from a copy)"
        )
    return rel
