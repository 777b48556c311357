"""What every part of the actor API shares: the actor's port and name."""

from __future__ import annotations

from emulator.engine.runtime import Port

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class Api:
    __slots__ = ("name", "port")

    def __init__(self, port: Port) -> None:
        self.port = port
        self.name = port.name
