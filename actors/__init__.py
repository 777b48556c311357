"""The kernel model: the page-cache actor's state and primitives, CPU and kernel-thread actors,
and the shared kernel routines (gup, page_lock_anon_vma, filemap_fault, ...)."""
