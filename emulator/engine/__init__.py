"""The engine: baton runtime, choices and strategies, virtual time, violations, step events.

Domain-free and self-contained: nothing here imports ``emulator.run``, ``emulator.debug``,
``emulator.soak`` or ``emulator.cli``.
"""
