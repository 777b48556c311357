"""004a — fuse write path: page locks held across a user-memory fault (lock cycle).

Thread: S004, Linus Torvalds, "Some more lock_page work" (2020-10-13) and its index: Qian Cai's
trinity report on virtiofs (a task stuck in wait_on_page_bit_common), Linus ("a classic
deadlock": fuse "will unlock only the _last_ page"), Vivek Goyal's reproducer (xfstests
generic/638, t_mmap_writev_overlap). BUGGY = 5.9 fuse_fill_write_pages, in the tree since
ea9b9907b82a "fuse: implement perform_write" (2.6.26). FIXED = 4f06dd92b5d0 "fuse: fix write
deadlock" (Vivek Goyal, Miklos Szeredi, v5.13): "Keeping more than one page locked is deadlock
prone".

Sources compared: 5.9.1 fs/fuse/file.c: fuse_cache_write_iter (:1241) takes inode_lock (:1260)
and holds it across fuse_perform_write (:1285) to out:; fuse_fill_write_pages (:1112-1175):
iov_iter_fault_in_readable, grab_cache_page_write_begin, iov_iter_copy_from_user_atomic, the
page kept locked in ap->pages; fuse_send_write_pages unlocks them after the reply. 5.9.1
mm/filemap.c filemap_fault / lock_page_maybe_drop_mmap (:2526) for the fault on the source.
Simplifications: the inode lock (an rwsem taken for writing) is a mutex; the fault's wait for
the source page is modelled as lock_page (in 5.9 it is __lock_page_killable after dropping
mmap_lock: a SIGKILL would end it with -EFAULT, which is not modelled); fault-around is left
out (the not-uptodate source pages keep 5.9's filemap_map_pages from mapping them anyway).

BUGGY keeps every target page of a WRITE locked until the reply, and faults the source of the
next chunk in (fault_in_readable) while holding them. When the source is a fresh MAP_SHARED
mapping of a page the writer holds, filemap_fault's lock_page closes a wait-for cycle: INV-DL-1.
FIXED makes a fully copied page uptodate and unlocks every uptodate page at once; a partial, not
uptodate page is kept locked, ends the batch and goes out alone.

Variants:
  buggy / fixed            the historical form (generic/638): one pwritev(fd, iov, 2, 8180)
                           whose iov[1] maps the page iov[0] writes into: the writer waits for
                           itself (deterministic).
  buggy-abba / fixed-abba  two files F and G, T1 writes F from a mmap of G, T2 writes G from a
                           mmap of F: each holds a target page and faults on the other's. Their
                           inode locks are different, so nothing orders them.
  samefile                 the old ABBA form on ONE file (BUGGY code): the two writers
                           serialize on the inode lock before any page lock, so it is clean
                           (the kernel cannot interleave them; a test pins it).
Option page_lock_policy: 5.9 is P-UNFAIR (5ef64cc8987a, the default); P-OLD and P-FAIR as in
kernel-scenarios.md 1.9. The policy decides who gets a contended page next, not whether a writer
that holds one page faults on another, so every policy deadlocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from actors.api import K, actor
from actors.kernel.fault import do_read_fault
from actors.kernel.filemap import File, Vma, file_view, vma_view
from actors.kernel.fuse import FUSE_DAEMON, fuse_daemon, fuse_readpage, fuse_request
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.objects import PAGE, Obj, Ref
from emulator.engine.runtime import ActorSpec
from emulator.run.scenario import Scenario, Setup

MAP = 0x100000  # user address of the fresh MAP_SHARED mmap of the fuse file (F)
MAP_G = 0x200000  # the mmap of the second file G (the two-file ABBA)
MAX_PAGES = 32  # fc->max_pages: never the limit here

Seg = tuple[int, int]  # one iovec: (user address, length)


@dataclass(frozen=True)
class Write:
    """One pwritev(fd, iov, n, pos) on file ``file`` ("F" or "G")."""

    pos: int
    iov: tuple[Seg, ...]
    file: str = "F"


class UserMem:
    """The writer's address space: which file mapping backs a user address."""

    def __init__(self, maps: list[tuple[File, Vma]]) -> None:
        self.maps = maps

    def find(self, addr: int) -> tuple[File, Vma]:
        for f, v in self.maps:
            if v.start <= addr < v.end:
                return f, v
        raise ValueError(f"no mapping at {addr:#x}")


class IovIter:
    """iov_iter over user memory: actor-local state, no shared objects."""

    def __init__(self, iov: tuple[Seg, ...]) -> None:
        self.segs = list(iov)
        self.seg = 0
        self.skip = 0

    def count(self) -> int:
        return sum(n for _a, n in self.segs[self.seg :]) - self.skip

    def single_seg_count(self) -> int:
        return self.segs[self.seg][1] - self.skip

    def chunk(self, nbytes: int) -> list[Seg]:
        """The user ranges holding the next ``nbytes`` bytes."""
        out: list[Seg] = []
        seg, skip = self.seg, self.skip
        while nbytes and seg < len(self.segs):
            addr, n = self.segs[seg]
            take = min(n - skip, nbytes)
            out.append((addr + skip, take))
            nbytes -= take
            seg, skip = seg + 1, 0
        return out

    def advance(self, nbytes: int) -> None:
        while nbytes:
            take = min(self.segs[self.seg][1] - self.skip, nbytes)
            nbytes -= take
            self.skip += take
            if self.skip == self.segs[self.seg][1]:
                self.seg, self.skip = self.seg + 1, 0


def user_pages(chunk: list[Seg]) -> list[int]:
    pages: list[int] = []
    for addr, n in chunk:
        for p in range(addr - addr % PAGE, addr + n, PAGE):
            if p not in pages:
                pages.append(p)
    return pages


# -- the write path (fs/fuse/file.c) ---------------------------------------------------------


async def fault_in_readable(k: K, mem: UserMem, chunk: list[Seg]) -> None:
    """Q1 iov_iter_fault_in_readable: touch each source page; an absent pte is a page fault
    (do_read_fault -> filemap_fault -> lock_page of the *source* page)."""
    for addr in user_pages(chunk):
        f, v = mem.find(addr)
        if await k.pte_read("Q1", v.mm, addr) is None:
            await do_read_fault(k, f, v, addr, readpage=fuse_readpage)


async def copy_from_user_atomic(k: K, mem: UserMem, chunk: list[Seg]) -> int:
    """Q3 iov_iter_copy_from_user_atomic: page faults disabled, so the copy stops at the first
    source page without a pte."""
    copied = 0
    for addr, n in chunk:
        _f, v = mem.find(addr)
        if await k.pte_read("Q3", v.mm, addr - addr % PAGE) is None:
            break
        copied += n
    return copied


async def grab_cache_page_write_begin(k: K, f: File, index: int, holder: str) -> Ref:
    """Q2: find or create the target page, locked. (Truncation is excluded by the inode lock
    held across the write, so the mapping needs no re-check, Miklos.)"""
    while True:
        page = await k.fault_lookup("Q2a", f.mapping, index, holder)
        if page is None:
            page = await k.add_to_page_cache_locked("Q2a", f.mapping, index, holder)
            if page is not None:
                return page
            continue
        await k.lock_page("Q2b", page)
        return page


async def copy_chunk(
    k: K, f: File, mem: UserMem, it: IovIter, index: int, offset: int, holder: str
) -> tuple[Ref, int]:
    """Q1-Q4, the `again:` loop: fault the source in, lock the target, copy atomically; a copy
    that faulted anyway unlocks and retries with at most one segment."""
    nbytes = min(PAGE - offset, it.count())
    while True:
        await fault_in_readable(k, mem, it.chunk(nbytes))
        page = await grab_cache_page_write_begin(k, f, index, holder)
        copied = await copy_from_user_atomic(k, mem, it.chunk(nbytes))
        if copied:
            return page, copied
        await k.unlock_page("Q4", page)
        await k.put_page("Q4", page, holder)
        nbytes = min(nbytes, it.single_seg_count())


async def keep_or_unlock(k: K, page: Ref, copied: int, fixed: bool) -> bool:
    """Q5: may the batch go on with this page? BUGGY keeps it locked in ap.pages and goes on.
    FIXED (4f06dd92b5d0) marks a fully copied page uptodate and unlocks an uptodate page now;
    a page that is not uptodate stays locked and must be the last of the batch."""
    if not fixed:
        await k.note("Q5", "page stays locked in ap.pages")
        return True
    if copied == PAGE:
        await k.set_page_flag("Q5", page, "uptodate", 1)
    if await k.page_flag("Q5", page, "uptodate"):
        await k.unlock_page("Q5", page)
        return True
    return False


async def fuse_fill_write_pages(
    k: K, f: File, mem: UserMem, it: IovIter, pos: int, holder: str, fixed: bool
) -> tuple[list[tuple[Ref, int]], bool]:
    """Q1-Q5 for one WRITE request: the (page, bytes copied) batch, and whether its last page
    is still locked (FIXED's ia->write.page_locked)."""
    batch: list[tuple[Ref, int]] = []
    offset = pos % PAGE
    while True:
        page, copied = await copy_chunk(k, f, mem, it, pos // PAGE, offset, holder)
        it.advance(copied)
        batch.append((page, copied))
        pos += copied
        offset = (offset + copied) % PAGE
        if not await keep_or_unlock(k, page, copied, fixed):
            return batch, True
        if not (it.count() and offset == 0 and len(batch) < MAX_PAGES):
            return batch, False


async def release_pages(
    k: K, batch: list[tuple[Ref, int]], holder: str, fixed: bool, last_locked: bool
) -> None:
    """Q8, after the WRITE reply. BUGGY (5.9 fuse_send_write_pages): a fully written page
    becomes uptodate, then every page is unlocked. FIXED: only the kept-locked last page."""
    for i, (page, copied) in enumerate(batch):
        if not fixed:
            if copied == PAGE:
                await k.set_page_flag("Q8", page, "uptodate", 1)
            await k.unlock_page("Q8", page)
        elif last_locked and i == len(batch) - 1:
            await k.unlock_page("Q8", page)
        await k.put_page("Q8", page, holder)


async def fuse_cache_write_iter(k: K, f: File, mem: UserMem, w: Write, fixed: bool) -> None:
    """fuse_cache_write_iter (5.9.1 fs/fuse/file.c:1241): inode_lock (Q0a), then
    fuse_perform_write: batches of pages, one WRITE request per batch; inode_unlock (Q9a)."""
    holder = f"fuse:{k.name}"
    await k.begin("Q0", "pwritev")
    await k.mutex_lock("Q0a", f.inode)  # inode_lock(inode): i_rwsem for writing
    it = IovIter(w.iov)
    pos = w.pos
    while it.count():
        batch, last_locked = await fuse_fill_write_pages(k, f, mem, it, pos, holder, fixed)
        count = sum(n for _p, n in batch)
        await fuse_request(k, "Q6", "WRITE", count)
        await release_pages(k, batch, holder, fixed, last_locked)
        pos += count
    await k.mutex_unlock("Q9a", f.inode)
    await k.end("Q9", "pwritev")


# -- the scenario ----------------------------------------------------------------------------

SELF = {"T": Write(2 * PAGE - 12, ((MAP, 12), (MAP + PAGE, 12)))}
# T1 writes the tail of F's page 1 and the head of page 2 from G's page 3; T2 writes the tail of
# G's page 3 and the head of page 4 from F's page 1.
ABBA = {
    "T1": Write(2 * PAGE - 12, ((MAP, 12), (MAP_G + 3 * PAGE, 12)), "F"),
    "T2": Write(4 * PAGE - 12, ((MAP_G, 12), (MAP + PAGE, 12)), "G"),
}
# The same two writes on one file: the pre-fix ABBA, which the inode lock rules out.
SAMEFILE = {
    "T1": Write(2 * PAGE - 12, ((MAP, 12), (MAP + 3 * PAGE, 12))),
    "T2": Write(4 * PAGE - 12, ((MAP, 12), (MAP + PAGE, 12))),
}

DIRECTED = {
    # 1. T faults source page 0 in and locks target page 1 (Q2b); 2. copies, keeps page 1
    # locked, wraps to page 2 (Q5); 3. faults source page 1 in: lock_page(page 1) -> itself.
    "self": [("T", "Q2b"), ("T", "Q5"), ("T", "FF3")],
    # T1 locks F's page 1, T2 locks G's page 3, T1 faults G's page 3 (parks on T2), T2 faults
    # F's page 1.
    "abba": [("T1", "Q2b"), ("T2", "Q2b"), ("T1", "FF3"), ("T2", "FF3")],
    # T1 locks page 1; T2 parks on the inode lock before it can lock anything.
    "samefile": [("T1", "Q2b"), ("T2", "Q0")],
}

VARIANTS = {
    "buggy": ("self", False),
    "fixed": ("self", True),
    "buggy-abba": ("abba", False),
    "fixed-abba": ("abba", True),
    "samefile": ("samefile", False),
}


def fuse_file(model: PageCacheModel, npages: int, mm: Obj, at: int) -> tuple[File, Vma]:
    """A fuse file of ``npages`` pages written earlier (page 0 whole and uptodate, the others
    only in part, page 2 not cached), mapped MAP_SHARED at ``at`` and never touched yet."""
    inode, mapping = model.new_file(size=npages * PAGE)
    for index in range(npages):
        if index != 2:
            model.cache_file_page(mapping, index, uptodate=int(index == 0))
    vma = model.new_file_vma(mm, inode, at, npages, shared=True)
    return file_view(model, inode), vma_view(model, vma)


def build(variant: str, options: Mapping[str, str]) -> Setup:
    form, fixed = VARIANTS[variant]
    writes = {"self": SELF, "abba": ABBA, "samefile": SAMEFILE}[form]
    npages = 2 if form == "self" else 5
    model = PageCacheModel(scenario_options("E2020", options))
    mm = model.new_mm()
    files = {"F": fuse_file(model, npages, mm, MAP)}
    if form == "abba":
        files["G"] = fuse_file(model, npages, mm, MAP_G)
    mem = UserMem(list(files.values()))

    def writer(name: str, w: Write) -> ActorSpec:
        async def run(k: K) -> None:
            await fuse_cache_write_iter(k, files[w.file][0], mem, w, fixed)

        return actor(name, run)

    actors = [writer(name, writes[name]) for name in sorted(writes)]
    actors.append(actor(FUSE_DAEMON, fuse_daemon, daemon=True))
    return Setup(
        model=model,
        actors=actors,
        windows=[("Q2b", "FF3"), ("Q2a", "FF3")],
        directed=DIRECTED[form],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "5.9.1 fs/fuse/file.c fuse_cache_write_iter (:1241, inode_lock :1260) and "
    "fuse_fill_write_pages (:1112-1175); the single-writer self-deadlock of generic/638. "
    "Simplified: inode lock as a mutex, killable page wait as lock_page, no fault-around.",
    "fixed": "4f06dd92b5d0 (v5.13) fuse_fill_write_pages.",
    "buggy-abba": "as buggy, two writers of two files (each sourced from a mmap of the other).",
    "fixed-abba": "as fixed, two files.",
    "samefile": "the old one-file ABBA with 5.9 code: serialized by the inode lock (clean).",
}


SCENARIO = Scenario(
    name="fuse-write-deadlock",
    spec_id="004a",
    thread="S004 Linus Torvalds, Some more lock_page work (2020-10-13): the fuse write deadlock",
    title="fuse write keeps page locks across a fault on its own source pages (self; also "
    "two files ABBA)",
    era="E2020",
    commits="ea9b9907b82a (5.9 fuse_fill_write_pages) -> 4f06dd92b5d0",
    build=build,
    expects={
        "buggy": ("INV-DL-1",),
        "fixed": (),
        "buggy-abba": ("INV-DL-1",),
        "fixed-abba": (),
        "samefile": (),
    },
    variants=("buggy", "fixed", "buggy-abba", "fixed-abba", "samefile"),
    options=lock_options("E2020"),
)
