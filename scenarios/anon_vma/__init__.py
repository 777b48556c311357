"""Thread 003: page_lock_anon_vma under RCU. ``anon_vma_lock`` holds the shared code paths (the
BUGGY and FIXED page_lock_anon_vma, the anon_vma lifecycle, the initial state); every other
module here is one scenario."""
