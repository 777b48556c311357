"""The user's surface, one package: ``pcemu list | run | hunt | replay`` (``app``), ``shrink |
explain`` (``debug``), ``soak | findings`` (``soak``); exit codes in ``exits``."""

from emulator.cli.app import main

__all__ = ["main"]
