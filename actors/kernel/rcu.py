"""The RCU grace-period kernel thread (kernel-scenarios.md 1.8)."""

from __future__ import annotations

from actors.api import K

RCU_ACTOR = "RCU"


async def rcu_gp(k: K) -> None:
    """The grace-period machinery: wait for work, start a GP, wait for readers, end it."""
    while True:
        await k.gp_idle("RCU0")
        await k.gp_start("RCU1")
        await k.gp_wait("RCU2")
        await k.gp_end("RCU3")
