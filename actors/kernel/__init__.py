"""Kernel routines as labelled step sequences (kernel-scenarios.md 2.4): each routine exists
once, here, and scenarios call it (or keep their own BUGGY/FIXED variant of it beside the
listing they model). A routine is plain ``async def f(k: K, ...)``: every ``await k.<op>`` is
one step of the page-cache actor."""
