"""pcemu engine: deterministic, domain-free actor runtime with a baton scheduler.

Nothing in this package knows about pages, locks or RCU; the kernel model lives in ``actors``
and the races in ``scenarios``. This package never imports either of them.
"""

__version__ = "0.2.1"
