"""Commands registered by name and imported when used, so that ``pcemu run`` and ``pcemu hunt``
do not pay for importing the debugging and soak commands (and what those import).

A ``LazyCommand`` stands in the group under its real name; parsing, invoking or describing it
imports the module that defines the real command and hands over to it.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import click


class LazyCommand(click.Command):
    def __init__(self, name: str, module: str, attr: str) -> None:
        super().__init__(name)
        self._where = (module, attr)
        self._real: click.Command | None = None

    def real(self) -> click.Command:
        if self._real is None:
            module, attr = self._where
            cmd = getattr(importlib.import_module(module), attr)
            assert isinstance(cmd, click.Command), f"{module}.{attr} is not a click command"
            self._real = cmd
        return self._real

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # The context names the real command, so click invokes that one.
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.real().invoke(ctx)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.real().get_short_help_str(limit)

    def get_help(self, ctx: click.Context) -> str:
        return self.real().get_help(ctx)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return self.real().get_params(ctx)


debug = SimpleNamespace(
    shrink=LazyCommand("shrink", "emulator.cli.debug", "shrink"),
    explain_cmd=LazyCommand("explain", "emulator.cli.debug", "explain_cmd"),
)
soak = SimpleNamespace(
    soak=LazyCommand("soak", "emulator.cli.soak", "soak"),
    findings=LazyCommand("findings", "emulator.cli.soak", "findings"),
)
search = SimpleNamespace(
    verify=LazyCommand("verify", "emulator.cli.verify", "verify_cmd"),
)
