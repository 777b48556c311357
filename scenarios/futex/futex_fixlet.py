"""Thread 001 code paths: get_futex_key of the E2011 era (kernel/futex.c, 2.6.38-3.2), where the
page lock pins page->mapping and with it the inode, and its five ways of handling a page that has
no mapping at L5 (kernel-scenarios.md thread 001):

  v2008  38d47c1b70 "futex: rely on get_user_pages() for shared futexes", with Nick Piggin's
         rule: unlock, put, goto again (loops forever on ZERO_PAGE and gate-area pages); its
         GUP is read-only (get_user_pages(current, mm, address, 1, 0, 0, &page, NULL));
  v3.2   in tree Dec 2011: as v2008, but the ZERO_PAGE returns -EFAULT (the gate area loops:
         Sasha Levin's trinity report); GUP for write with the read-only fallback of
         9ea71503a8ed (every later variant too);
  vtip   ab69f41ef93d (tip, from its patch text): ZERO_PAGE and the gate area return -EFAULT on
         the first pass; install_special_mapping pages on the second (the vma lookup under
         mmap_sem is skipped the first time round); any other page without a mapping (a
         driver's vm_insert_page mmap) goes round for ever, which is why e6780f7243ed
         replaced it;
  vlin   Linus's "futex fixlet" (S001, Hugh Dickins 2011-12-30): unlock, put, return -EFAULT;
  fixed  e6780f7243ed "futex: Fix uninterruptible loop due to gate_area" (v3.3): retry only if
         the page is in swap cache (shmem swap-out whatever the refcount), else -EFAULT.

Shared by futex-zero-page-livelock, futex-gate-area-livelock, futex-shmem-efault and
futex-drop-caches-pin.
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.gup import NO_FAST, X86_IRQ, gup
from actors.kernel.inode import iput
from actors.objects import GATE, ZERO, Ref

V2008, V32, VTIP, VLIN, FIXED = "v2008", "v3.2", "vtip", "vlin", "fixed"
L5_VARIANTS = (V2008, V32, VTIP, VLIN, FIXED)


async def get_futex_key(k: K, mm: Ref, addr: int, l5: str) -> int | None:
    """FUTEX_WAIT's get_futex_key (a read-only op): the key's oid, or None for -EFAULT."""
    holder = f"gup:{k.name}"
    tries = 0  # vtip's no_mapping_tries
    while True:
        page, ro = await gup_for_futex(k, mm, addr, holder, l5 == V2008)
        if page is None:
            await k.futex_efault("L1", mm, addr, None)
            return None
        await k.note("L1", "page = get_user_pages_fast(uaddr)", page)
        head: Ref = await k.note("L2", "page_head = compound_head(page)", page)
        await k.might_sleep("L3", "lock_page")  # lock_page's might_sleep: a preemption point
        await k.lock_page("L3", head)
        mapping, anon = await k.page_mapping("L4", head)
        if mapping is None:
            if await _no_mapping(k, mm, addr, head, holder, l5, tries):
                tries += 1
                await k.retry("L5", f"uninterruptible: page #{head[0]} has no mapping")
                continue
            return None
        key = await _make_key(k, mm, addr, head, mapping, bool(anon), ro)
        await k.unlock_page("L7", head)
        await k.put_page("L7", head, holder)
        return key


async def gup_for_futex(
    k: K, mm: Ref, addr: int, holder: str, read_only: bool = False
) -> tuple[Ref | None, bool]:
    """L1 (9ea71503a8ed): get_user_pages_fast asking for a writable page (x86's IRQ-off form,
    2.6.27 - 4.12: the era of every caller here); a read-only op falls back to read access.
    ``read_only``: 38d47c1b707's read-only get_user_pages (2.6.28; the slow path only, with
    mmap_sem held for read; the key does not care)."""
    if read_only:
        return await gup(k, mm, addr, False, holder, NO_FAST), False
    page = await gup(k, mm, addr, True, holder, X86_IRQ)
    if page is not None:
        return page, False
    return await gup(k, mm, addr, False, holder, X86_IRQ), True


async def _no_mapping(
    k: K, mm: Ref, addr: int, head: Ref, holder: str, l5: str, tries: int = 0
) -> bool:
    """L5 with the page locked and mapping None: True = goto again, False = -EFAULT returned
    (and the page lock and reference dropped either way). ``tries``: passes so far (vtip)."""
    if l5 == FIXED:
        swizzled = await k.page_flag("L5", head, "swapcache")  # read under the page lock
        await k.unlock_page("L5", head)
        return await _again_or_efault(k, mm, addr, head, holder, bool(swizzled))
    await k.unlock_page("L5", head)
    if l5 == V2008:
        return await _again_or_efault(k, mm, addr, head, holder, True)
    if l5 == VLIN:
        return await _again_or_efault(k, mm, addr, head, holder, False)
    # page_head == ZERO_PAGE(address) and vtip's in_gate_area(mm, address): a pointer and an
    # address test in the kernel, a read of the page's kind here.
    ptype = await k.read("L5", head, "ptype")
    if ptype == ZERO or (l5 == VTIP and ptype == GATE):
        return await _again_or_efault(k, mm, addr, head, holder, False)
    if l5 == VTIP and tries:
        # put_page came first in ab69f41ef93d; the decision waits for the vma lookup.
        special = await _is_special_mapping(k, mm, addr)
        return await _again_or_efault(k, mm, addr, head, holder, not special)
    return await _again_or_efault(k, mm, addr, head, holder, True)


async def _is_special_mapping(k: K, mm: Ref, addr: int) -> bool:
    """L5c (ab69f41ef93d, second pass on): down_read(mmap_sem); vma = find_vma(mm, address);
    is_special_mapping(vma); up_read."""
    await k.down_read("L5c", mm)  # down_read(&mm->mmap_sem)
    vma = await k.find_vma("L5c", mm, addr)
    special = vma is not None and (await k.gup_vma_info("L5c", vma))[0] == "special"
    await k.up_read("L5c", mm)
    return special


async def _again_or_efault(k: K, mm: Ref, addr: int, head: Ref, holder: str, again: bool) -> bool:
    if not again:
        # The decision is taken while the page is still pinned, so the oracle can look at it.
        await k.futex_efault("L5", mm, addr, head)
    await k.put_page("L5", head, holder)
    return again


async def _make_key(
    k: K, mm: Ref, addr: int, head: Ref, mapping: Ref, anon: bool, ro: bool
) -> int | None:
    """L6 under the page lock: an anonymous page keys on (mm, address); a file page on
    (mapping->host, index) with ihold: the locked page pins its mapping, so i_count > 0."""
    if anon:
        if ro:  # a read-only anonymous page can never change: -EFAULT
            await k.futex_efault("L6", mm, addr, head)
            return None
        return await k.futex_key_mm("L6", mm, addr)
    inode: Ref = await k.read("L6", mapping, "host")
    await k.ihold("L6", inode)
    return await k.futex_key_inode("L6", inode, head)


async def put_futex_key(k: K, key: int) -> None:
    inode = await k.futex_key_drop("PK1", key)
    if inode is not None:
        await iput(k, inode)


async def futex_wait(k: K, mm: Ref, addr: int, l5: str) -> int | None:
    """FUTEX_WAIT whose value check fails at once (EWOULDBLOCK): build the key, drop it."""
    await k.begin("FW0", "futex_wait")
    key = await get_futex_key(k, mm, addr, l5)
    if key is not None:
        await put_futex_key(k, key)
    await k.end("FW9", "futex_wait")
    return key
