"""Threads 002 and 004: the fault path against truncate and invalidate, and lock_page in the
fault path. Shared routines (filemap_fault, finish_fault, truncate_pagecache ...) are in
actors/kernel/; each module here is one scenario with its BUGGY and FIXED code side by side."""
