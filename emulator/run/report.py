"""The first lines of a run report: the verdict (the oracle and its message, ``clean``, or
``DIVERGED`` for a replay that left its recording), the run's identity and its numbers.

The rest of the report (the numbered interleaving, the key fact, the state) is rendered by
``emulator.debug.explain_text`` from the explained run, the same for ``run``, ``hunt``,
``replay`` and ``explain``.
"""

from __future__ import annotations

from typing import Any

from emulator.engine.config import RunResult
from emulator.engine.events import switches

__all__ = ["head", "switches"]


def head(header: dict[str, Any], result: RunResult) -> list[str]:
    """The verdict, the run's identity and its numbers: the first lines of every report."""
    o = result.outcome
    out: list[str] = []
    v = o.violation
    if result.divergence:
        out.append(f"DIVERGED: {result.divergence}")
    elif v is not None:
        out.append(f"INVARIANT {v.oracle} violated: {v.message}")
    elif o.status == "clean":
        out.append("clean: no oracle fired")
    else:
        out.append(f"{o.status.upper()}: {o.error}")
    opts = " ".join(f"{k}={val}" for k, val in header.get("options", {}).items())
    out.append(
        f"scenario={header['scenario']} ({header.get('spec_id', '?')}) variant={header['variant']} "
        f"mem={header.get('mem', 'SC')} strategy={header['strategy']} seed={header['seed']} "
        f"schedule={header.get('schedule', 'seeded')}" + (f" {opts}" if opts else "")
    )
    where = f" at {v.actor} [{v.label}]" if v else ""
    out.append(
        f"steps={o.steps} vtime={o.vtime}ns switches={switches(result.events)} "
        f"trace={o.trace_hash}{where}"
    )
    return out
