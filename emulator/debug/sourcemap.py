"""From a step's label to the scenario source line that issued it.

Labels are string literals in the code paths (``await k.mutex_trylock_via("A5", av, "root")``).
The index parses the scenario module, then the modules of the code it calls (every function or
class its namespace names, outside the engine), and records each call whose first or second
argument is a string literal. A label used by several calls (the BUGGY and FIXED forms of one
step, or one label on two primitives) is resolved by the called name against the primitive, the
call's other literal arguments against the step's, and the enclosing function's name against
the variant.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from emulator.run.scenario import Scenario


@dataclass(frozen=True)
class SourceLine:
    where: str  # "scenarios/anon_vma_lock.py:52"
    text: str  # the stripped source line


@dataclass(frozen=True)
class _Call:
    label: str
    where: str
    text: str
    callee: str  # the called method or function name
    literals: tuple[str, ...]  # the call's other string literal arguments
    function: str  # the enclosing def


class _Collector(ast.NodeVisitor):
    def __init__(self, shown: str, lines: list[str]) -> None:
        self.shown = shown
        self.lines = lines
        self.func: list[str] = []
        self.calls: list[_Call] = []

    def _def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.func.append(node.name)
        self.generic_visit(node)
        self.func.pop()

    visit_FunctionDef = _def
    visit_AsyncFunctionDef = _def

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        callee = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        lits = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        firsts = [
            a.value
            for a in node.args[:2]
            if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        line = self.lines[node.lineno - 1].strip() if node.lineno <= len(self.lines) else ""
        for label in firsts:
            others = tuple(x for x in lits if x != label)
            # Port.call("op", "label", ...): the op literal names the primitive.
            name = callee if callee != "call" or not others else others[0]
            self.calls.append(
                _Call(
                    label,
                    f"{self.shown}:{node.lineno}",
                    line,
                    name,
                    others,
                    self.func[-1] if self.func else "",
                )
            )
        self.generic_visit(node)


def shown_path(module: ModuleType, path: Path, script: str | None) -> str:
    if script is not None:
        return script
    parts = module.__name__.split(".")
    # "scenarios.anon_vma_lock" -> scenarios/anon_vma_lock.py: stable across checkouts.
    keep = len(parts) if path.name != "__init__.py" else len(parts) + 1
    return "/".join(path.parts[-keep:])


def _calls_of(module: ModuleType, script: str | None) -> list[_Call]:
    try:
        src = inspect.getsourcefile(module)
    except TypeError:
        return []
    if src is None:
        return []
    path = Path(src)
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return []
    c = _Collector(shown_path(module, path, script), text.splitlines())
    c.visit(tree)
    return c.calls


def _referenced(module: ModuleType) -> list[str]:
    """Names of the modules whose functions, classes or selves this module's namespace holds."""
    names: set[str] = set()
    for value in vars(module).values():
        if inspect.ismodule(value):
            names.add(value.__name__)
        elif inspect.isfunction(value) or inspect.isclass(value):
            mod = getattr(value, "__module__", None)
            if isinstance(mod, str):
                names.add(mod)
    return sorted(names)


def _related_modules(module: ModuleType) -> list[ModuleType]:
    """The scenario module, then the code it runs: modules it references, followed within the
    packages it draws on directly (e.g. ``scenarios`` and ``actors``: a code path may call a
    shared routine that calls another). The engine and the standard library are left out.
    Breadth first, names sorted at each level: the order is fixed, and it breaks ties."""

    def top(name: str) -> str:
        return name.split(".")[0]

    def skip(name: str) -> bool:
        return top(name) in ("emulator", "builtins") or top(name) in sys.stdlib_module_names

    allowed = {top(module.__name__)} | {top(n) for n in _referenced(module) if not skip(n)}
    order = [module]
    seen = {module.__name__}
    frontier = [module]
    while frontier:
        nxt = []
        for m in frontier:
            for name in _referenced(m):
                if name in seen or skip(name) or top(name) not in allowed:
                    continue
                seen.add(name)
                mod = sys.modules.get(name)
                if mod is not None:
                    order.append(mod)
                    nxt.append(mod)
        frontier = nxt
    return order


class SourceIndex:
    def __init__(self, calls: list[_Call]) -> None:
        self.by_label: dict[str, list[_Call]] = {}
        for c in calls:
            self.by_label.setdefault(c.label, []).append(c)

    @classmethod
    def of(cls, scenario: Scenario, header: dict[str, Any]) -> SourceIndex:
        module = inspect.getmodule(scenario.build)
        if module is None:
            return cls([])
        script = str(header.get("scenario")) if scenario.source != "builtin" else None
        calls: list[_Call] = []
        for i, m in enumerate(_related_modules(module)):
            calls.extend(_calls_of(m, script if i == 0 else None))
        return cls(calls)

    def find(
        self,
        label: str,
        op: str,
        args: Sequence[Any],
        variant: str,
        variants: Sequence[str] = (),
    ) -> SourceLine | None:
        cands = self.by_label.get(label)
        if not cands:
            return None
        strs = {a for a in args if isinstance(a, str)}
        others = [v for v in variants if v != variant]

        def score(c: _Call) -> int:
            s = 0
            if c.callee == op:
                s += 4
            elif op and (op in c.callee or c.callee in op):
                s += 2
            s += sum(1 for x in strs if x in c.literals or x in c.callee)
            if variant and variant in c.function:
                s += 1
            if any(v in c.function for v in others):
                s -= 2
            return s

        best = max(cands, key=score)  # max keeps the first of equals: scan order decides ties
        return SourceLine(best.where, best.text)
