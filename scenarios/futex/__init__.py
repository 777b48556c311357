"""Threads 000 and 001: futex keys. ``futex_lockless`` is the lockless get_futex_key of 000 and
``futex_fixlet`` the E2011 one of 001 (with their shared world); every other module here is one
scenario built on one of them."""
