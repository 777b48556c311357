"""A small generic vocabulary for classic concurrency programs: threads, pthread-style mutexes
and condition variables, shared variables, assertions (see ``program.Program``)."""

from actors.generic.api import Thread, ThreadFn
from actors.generic.model import EXITED, Final, GenericModel
from actors.generic.program import Program, scenario

__all__ = ["EXITED", "Final", "GenericModel", "Program", "Thread", "ThreadFn", "scenario"]
