"""Kernel facts, one module per scenario: what each scenario shows about the kernel beyond the
bar every scenario meets (``tests/scenarios/test_catalog.py``: the directed schedule trips an
expected oracle in BUGGY and not in FIXED, chaos finds BUGGY, FIXED stays clean over seeds,
the same seed gives the same trace). Here: where exactly the oracle fires and what it says,
which interleavings are benign, what the other variants and options do, what the kernel code
does on the way (a pass that skips a locked page, a zap that removes the COW copy)."""
