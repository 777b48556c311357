"""get_user_pages (G1-G6) with a fault hook, and the fault handlers it needs (kernel-scenarios.md
2.4 "GUP", 1.5, 1.6).

GUP-fast reads the pte without locks, takes a speculative reference and re-reads the pte
(G1-G3). Anything else goes the slow way: mmap_sem, find the vma, check the access, then loop
"follow_page under the pte lock / fault it in" (G4-G6). mmap_sem is modelled as the mm's mutex:
readers never contend with each other in these scenarios, and munmap takes it for writing.

vmas carry a ``vkind`` saying which fault handler serves them: "anon" (a read fault maps the
ZERO_PAGE), "special" (gate area, install_special_mapping: the pte is always there, faults
SIGBUS), "file" (filemap_fault: find_lock_page or read the page in) and "shmem" (shmem_fault,
which may swap the page back in: actors/shmem.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.kfutex import KF, VmaInfo
from actors.mm import MmMixin
from actors.objects import FILE, SPECIAL, ZERO, Obj
from actors.pgcache import find_lock_page, finish_fault
from actors.shmem import shmem_fault
from actors.state import Ref
from emulator.engine.violations import Violation

PAGE = 4096

# A fault handler: (k, mm, vma, addr, write) -> True once the pte is installed, False = SIGBUS.
FaultHandler = Callable[[KF, Ref, VmaInfo, int, bool], Awaitable[bool]]


class GupMixin(MmMixin):
    def __init__(self) -> None:
        super().__init__()
        self.zero_page: int | None = None

    # -- setup helpers -----------------------------------------------------------------------

    def new_zero_page(self) -> Obj:
        """ZERO_PAGE: reserved, never freed, no mapping (1.6)."""
        z = self.new_page(ZERO, holders=("reserved",))
        self.zero_page = z.oid
        return z

    def new_special_page(self) -> Obj:
        """A gate-area / install_special_mapping page: reserved, no mapping, never swapped."""
        return self.new_page(SPECIAL, holders=("reserved",))

    # -- steps -------------------------------------------------------------------------------

    def op_gup_vma_info(self, actor: int, vma: Ref) -> VmaInfo:
        """The vma fields a fault needs (stable under mmap_sem): kind, writable, start, pgoff,
        and the file's inode."""
        v = self.deref(actor, vma)
        f = v.f
        inode = f["file"]
        iref = None if inode is None else (inode, self.objs[inode].gen)
        return (f["vkind"], f["writable"], f["start"], f["pgoff"], iref)

    def op_gup_map_zero(self, actor: int, mm: Ref, addr: int) -> bool:
        """do_anonymous_page for a read fault: map the ZERO_PAGE read-only (pte lock held)."""
        assert self.zero_page is not None, "scenario has no ZERO_PAGE"
        z = self.objs[self.zero_page]
        holder = f"fault:{self.names[actor]}"
        self._get(z, holder)
        if self.op_pte_install(actor, mm, addr, self.ref(z), 0, holder):
            return True
        self._put(actor, z, holder)
        return False

    def op_gup_read_in(self, actor: int, mapping: Ref, index: int, holder: str) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_lru + a read that completes at once: a new
        page, locked by the caller, in the cache at ``index``; None if somebody added one
        first (the caller repeats its lookup)."""
        m = self.deref(actor, mapping)
        if index in m.f["tree"]:
            return None
        p = self.new_page(FILE, index, holders=(holder, "cache"))
        p.f["mapping"] = m.oid
        m.f["tree"][index] = p.oid
        m.f["nrpages"] += 1
        self.wrote(m, f"tree[{index}]", p.name())
        key = self.page_key(self.ref(p))
        self._take(actor, key, self._lock(key, "page"))
        return self.ref(p)

    def op_gup_vma_detach(self, actor: int, mm: Ref, vma: Ref) -> None:
        """munmap's detach_vmas_to_be_unmapped, under mmap_sem held for writing."""
        m = self.deref(actor, mm)
        if not self.holds(actor, self.mutex_key(mm)):
            raise Violation("INV-LOCK-3", f"vma list of {m.name()} changed without mmap_sem")
        v = self.deref(actor, vma)
        m.f["vmas"] = [x for x in m.f["vmas"] if x != v.oid]
        self.wrote(m, "vmas", tuple(m.f["vmas"]))
        inode = v.f["file"]
        if inode is not None:
            mapping = self.objs[self.objs[inode].f["i_mapping"]]
            mapping.f["i_mmap"] = [x for x in mapping.f["i_mmap"] if x != v.oid]


# -- actor-side routines -------------------------------------------------------------------


async def gup(k: KF, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    """get_user_pages_fast for one page: the page with a reference held by ``holder``, or
    None for -EFAULT."""
    page = await gup_fast(k, mm, addr, write, holder)
    if page is not None:
        return page
    return await gup_slow(k, mm, addr, write, holder)


async def gup_fast(k: KF, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    pte = await k.pte_read("G1", mm, addr)
    if pte is None or (write and not pte[1]):
        return None
    page = pte[0]
    if not await k.get_page_unless_zero("G2", page, holder):
        return None
    if await k.pte_read("G3", mm, addr) != pte:
        await k.put_page("G3", page, holder)
        return None
    return page


async def gup_slow(k: KF, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    await k.mutex_lock("G4", mm)  # down_read(&mm->mmap_sem)
    page = await _follow_or_fault(k, mm, addr, write, holder)
    await k.mutex_unlock("G6", mm)
    return page


async def _follow_or_fault(k: KF, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    vma = await k.find_vma("G4", mm, addr)
    if vma is None:
        return None
    info = await k.vma_info("G4", vma)
    if write and not info[1]:
        return None  # VM_WRITE missing: -EFAULT
    while True:
        await k.spin_lock("G5", mm, "ptl")
        pte = await k.pte_read("G5", mm, addr)
        if pte is not None and (not write or pte[1]):
            await k.get_page("G5", pte[0], holder)
            await k.spin_unlock("G5", mm, "ptl")
            return pte[0]
        await k.spin_unlock("G5", mm, "ptl")
        if not await handle_mm_fault(k, mm, info, addr, write):
            return None


async def handle_mm_fault(k: KF, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """The fault hook: dispatch on the vma's kind."""
    handler = FAULT_HANDLERS.get(info[0])
    if handler is None:
        raise NotImplementedError(f"no fault handler for vma kind {info[0]!r}")
    return await handler(k, mm, info, addr, write)


async def fault_anon(k: KF, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """A read fault on a never-written private anonymous page maps the ZERO_PAGE (1.5)."""
    if write:
        raise NotImplementedError("anonymous write faults (COW) are not modelled")
    await k.spin_lock("FA1", mm, "ptl")
    await k.map_zero_page("FA2", mm, addr)
    await k.spin_unlock("FA3", mm, "ptl")
    return True


async def fault_special(k: KF, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """Gate area and special mappings are populated at setup; a fault there is SIGBUS."""
    return False


async def fault_file(k: KF, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """filemap_fault (FF1-FF6) + finish_fault, E2007 rules: the page is locked and its mapping
    and i_size re-checked before the pte goes in."""
    _kind, writable, start, pgoff, inode = info
    assert inode is not None
    mapping = await k.read("FF0", inode, "i_mapping")
    index = pgoff + (addr - start) // PAGE
    holder = f"fault:{k.name}"
    while True:
        if index >= await _size_pages(k, "FF1", inode):
            return False
        page = await find_lock_page(k, mapping, index, holder)
        if page is None:
            page = await k.read_in_page("FF2", mapping, index, holder)
            if page is None:
                continue  # somebody else read it in: look it up again
        if index >= await _size_pages(k, "FF6", inode):
            await k.unlock_page("FF6", page)
            await k.put_page("FF6", page, holder)
            return False
        await finish_fault(k, mm, addr, page, writable, holder)
        await k.unlock_page("FS6", page)
        return True


async def munmap(k: KF, mm: Ref, vma: Ref, addrs: tuple[int, ...]) -> None:
    """munmap of one vma: detach it under mmap_sem held for writing, then zap its ptes (each
    under the pte lock; the ptes' page references go with them)."""
    await k.begin("MU0", "munmap")
    await k.mutex_lock("MU1", mm)  # down_write(&mm->mmap_sem)
    await k.vma_detach("MU2", mm, vma)
    for addr in addrs:
        await k.spin_lock("MU3", mm, "ptl")
        await k.pte_zap("MU3", mm, addr)
        await k.spin_unlock("MU3", mm, "ptl")
    await k.mutex_unlock("MU4", mm)
    await k.end("MU4", "munmap")


async def _size_pages(k: KF, label: str, inode: Ref) -> int:
    size = int(await k.read(label, inode, "i_size"))
    return (size + PAGE - 1) // PAGE


FAULT_HANDLERS: dict[str, FaultHandler] = {
    "anon": fault_anon,
    "special": fault_special,
    "file": fault_file,
    "shmem": shmem_fault,
}
