"""Write faults on present ptes and forced writes (kernel-scenarios.md 2.4): do_wp_page (reuse,
->page_mkwrite of a shared file mapping, or the COW copy), the generic ->page_mkwrite,
anon_vma_prepare, and the COW of a read-only private file mapping that only a forced write
(FOLL_FORCE) makes. actors/kernel/fault.py dispatches to them."""

from __future__ import annotations

from actors.api import K
from actors.kernel.filemap import File, filemap_fault, finish_fault
from actors.model.mm import PTL, VmaInfo
from actors.objects import ANON, PAGE, ZERO, Ref

# VM_FAULT_* bits a fault returns (3.0.1 include/linux/mm.h:837-839).
VM_FAULT_SIGBUS = 0x0002
VM_FAULT_WRITE = 0x0008  # "Special case for get_user_pages": do_wp_page broke COW


async def filemap_page_mkwrite(k: K, f: File, page: Ref, stable: bool = False) -> bool:
    """->page_mkwrite of the generic file mmap (5.9.1 mm/filemap.c filemap_page_mkwrite; 3.0's
    block_page_mkwrite in fs/buffer.c makes the same checks): PM0 sb_start_pagefault and
    file_update_time, PM1 lock_page, PM2 page->mapping != inode->i_mapping (truncated or
    invalidated since the fault found it) -> unlock, VM_FAULT_NOPAGE (False); PM3
    set_page_dirty; with ``stable`` PM4 wait_for_stable_page (wait_on_page_writeback, for
    devices that need stable pages); VM_FAULT_LOCKED (True, the page stays locked)."""
    await k.note("PM0", "sb_start_pagefault(); file_update_time()")
    await k.lock_page("PM1", page)
    m, _anon = await k.page_mapping("PM2", page)
    if m != f.mapping:
        await k.unlock_page("PM2", page)
        return False
    await k.set_page_flag("PM3", page, "dirty", 1)
    if stable:
        await k.wait_on_page_writeback("PM4", page)
    return True


async def anon_vma_prepare(k: K, mm: Ref, addr: int) -> Ref:
    """anon_vma_prepare (3.0.1 mm/rmap.c:152): the vma's anon_vma, allocated and linked on
    the first anonymous page (the find_mergeable_anon_vma reuse is not modelled)."""
    vma = await k.find_vma("AP0", mm, addr)
    assert vma is not None
    av: Ref | None = await k.read("AP0", vma, "anon_vma")
    if av is not None:
        return av
    av = await k.anon_vma_alloc("AP1")
    await k.mutex_lock("AP2", av)  # anon_vma_lock(anon_vma)
    await k.spin_lock("AP2", mm, "page_table_lock")
    await k.write("AP3", vma, "anon_vma", av)
    await k.anon_vma_chain_link("AP3", av, vma)
    await k.spin_unlock("AP4", mm, "page_table_lock")
    await k.mutex_unlock("AP4", av)
    return av


async def do_wp_page(k: K, mm: Ref, addr: int, old: Ref, vm_write: bool = True) -> int:
    """A write fault on a present, read-only pte, entered with the pte lock held (3.0.1
    mm/memory.c:2477 do_wp_page; 4.9 splits it into wp_page_reuse / wp_page_copy /
    wp_page_shared). An anonymous page mapped once is reused: the pte becomes writable
    (reuse_swap_page: page_mapcount == 1 outside the swap cache, under the page lock, which is
    trylocked and, if busy, taken after dropping the pte lock, then pte_same re-checked). A
    page of a shared writable mapping is reused too (its ->page_mkwrite is not modelled here).
    Anything else, the ZERO_PAGE included, is copied to a new anonymous page that replaces it
    if the pte is still the same. Without VM_WRITE (a forced write) maybe_mkwrite leaves the
    reused pte read-only. Returns VM_FAULT_WRITE once COW is broken (reused or copied), else 0
    (the pte changed meanwhile); either way GUP re-follows the pte."""
    holder, cow_holder = f"wp:{k.name}", f"cow:{k.name}"
    ptype = await k.read("WP1", old, "ptype")
    _mapping, anon = await k.page_mapping("WP1", old)
    reuse = False
    if ptype != ZERO and anon:
        if not await k.trylock_page("WP2", old):
            await k.get_page("WP2", old, holder)
            await k.spin_unlock("WP2", mm, PTL)
            await k.lock_page("WP2", old)
            await k.spin_lock("WP2", mm, PTL)
            pte = await k.pte_read("WP2", mm, addr)
            if pte is None or pte[0] != old or pte[1]:  # !pte_same
                await k.unlock_page("WP2", old)
                await k.spin_unlock("WP2", mm, PTL)
                await k.put_page("WP2", old, holder)
                return 0
            await k.put_page("WP2", old, holder)
        swapcache = await k.page_flag("WP3", old, "swapcache")
        reuse = not swapcache and await k.read("WP3", old, "mapcount") == 0  # _mapcount
        await k.unlock_page("WP3", old)
    elif ptype != ZERO:
        vma = await k.find_vma("WP3", mm, addr)
        assert vma is not None
        reuse = bool(await k.read("WP3", vma, "shared"))  # (VM_WRITE|VM_SHARED): dirty it
        if reuse:
            info = await k.gup_vma_info("WP3", vma)
            if info[0] == "file":  # vma->vm_ops->page_mkwrite
                return await wp_page_mkwrite(k, mm, addr, old, info)
    if reuse:
        if vm_write:  # maybe_mkwrite: pte_mkwrite only "if (likely(vma->vm_flags & VM_WRITE))"
            await k.pte_mkwrite("WP4", mm, addr, old)
        await k.spin_unlock("WP4", mm, PTL)
        return VM_FAULT_WRITE
    # Copy: page_cache_get(old_page) (none for the zero pfn), drop the pte lock, allocate.
    if ptype != ZERO:
        await k.get_page("WP5", old, holder)
    await k.spin_unlock("WP5", mm, PTL)
    av = await anon_vma_prepare(k, mm, addr)
    new = await k.alloc_page("WP6", ANON, cow_holder)
    await k.note("WP6", "cow_user_page(new_page, old_page)")
    await k.spin_lock("WP7", mm, PTL)
    ret = 0
    if await k.pte_cow_replace("WP7", mm, addr, old, new, cow_holder):
        await k.page_add_anon_rmap("WP7", new, av)
        ret = VM_FAULT_WRITE
    else:
        await k.put_page("WP7", new, cow_holder)
    await k.spin_unlock("WP8", mm, PTL)
    if ptype != ZERO:
        await k.put_page("WP8", old, holder)
    return ret


async def wp_page_mkwrite(k: K, mm: Ref, addr: int, old: Ref, info: VmaInfo) -> int:
    """do_wp_page on a shared writable file mapping with ->page_mkwrite (3.0.1
    mm/memory.c:2531-2635; 4.9 mm/memory.c wp_page_shared), entered with the pte lock held:
    WM0 page_cache_get and drop the pte lock ("so that it can sleep"); ->page_mkwrite
    (filemap_page_mkwrite, PM0-PM3: lock_page, page->mapping re-checked) returns
    VM_FAULT_NOPAGE when the page was truncated meanwhile: the reference is dropped and the
    fault ends with no pte change (WM1; the access retries). Otherwise the page stays locked
    while the pte lock is retaken and pte_same re-checked (WM2: changed -> unlock_page, done),
    the pte made writable and dirty (WM3), then set_page_dirty, unlock_page (WM4), the
    reference dropped and balance_dirty_pages_ratelimited (WM5). The kernel's second reference
    (dirty_page = old_page; get_page) is folded into WM0's. Returns VM_FAULT_WRITE once the
    pte is writable, else 0 (NOPAGE, or the pte changed: the access retries)."""
    holder = f"wp:{k.name}"
    inode = info[4]
    assert inode is not None
    mapping: Ref = await k.read("WM0", inode, "i_mapping")
    await k.get_page("WM0", old, holder)
    await k.spin_unlock("WM0", mm, PTL)
    if not await filemap_page_mkwrite(k, File(inode, mapping), old):
        await k.put_page("WM1", old, holder)  # unwritable_page: "ret = tmp" (NOPAGE)
        return 0
    await k.spin_lock("WM2", mm, PTL)
    pte = await k.pte_read("WM2", mm, addr)
    if pte is None or pte[0] != old or pte[1]:  # !pte_same(*page_table, orig_pte)
        await k.unlock_page("WM2", old)
        await k.spin_unlock("WM2", mm, PTL)
        await k.put_page("WM2", old, holder)
        return 0
    await k.pte_mkwrite("WM3", mm, addr, old)
    await k.spin_unlock("WM3", mm, PTL)
    await k.set_page_flag("WM4", old, "dirty", 1)
    await k.unlock_page("WM4", old)
    await k.put_page("WM5", old, holder)
    await k.note("WM5", "balance_dirty_pages_ratelimited(mapping); file_update_time()")
    return VM_FAULT_WRITE


async def cow_fault_readonly(k: K, mm: Ref, info: VmaInfo, addr: int) -> int:
    """A write fault with no pte on a private file mapping without VM_WRITE, which only a
    forced write (get_user_pages with FOLL_FORCE: ptrace, /proc/pid/mem) makes: 3.0.1
    mm/memory.c:3156 __do_fault with FAULT_FLAG_WRITE on a !VM_SHARED vma. ->fault returns the
    file page locked (FF*); CW1 anon_vma_prepare, a new anonymous page, the copy; the copy is
    mapped with maybe_mkwrite(pte_mkdirty(entry)): dirty but, without VM_WRITE, read-only
    (FS*); CW2 the file page unlocked and released. No VM_FAULT_WRITE (__do_fault never sets
    it): 0, or VM_FAULT_SIGBUS."""
    _kind, _writable, start, pgoff, inode = info
    assert inode is not None
    holder, cow_holder = f"fault:{k.name}", f"cow:{k.name}"
    mapping: Ref = await k.read("CW0", inode, "i_mapping")
    index = pgoff + (addr - start) // PAGE
    page = await filemap_fault(k, File(inode, mapping), index, holder, read_in_locked=True)
    if page is None:
        return VM_FAULT_SIGBUS
    av = await anon_vma_prepare(k, mm, addr)
    cow = await k.alloc_page("CW1", ANON, cow_holder)
    await k.note("CW1", "copy_user_highpage(cow, page)")
    await finish_fault(k, mm, addr, cow, cow_holder, writable=0, anon_vma=av, put_if_lost=True)
    await k.unlock_page("CW2", page)
    await k.put_page("CW2", page, holder)
    return 0
