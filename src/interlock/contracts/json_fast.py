"""Fast yes/no checks generated from a compiled JSON comparison, for the common case of a match.

Each object or array of the expected body becomes one generated Python function that answers
"does this value surely match?" without building messages; a "no" falls back to the full
comparison, which words the mismatches. Keys and constants are bound as names, never pasted
into the generated source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlock.contracts.json_body import _Node

Predicate = Callable[[Any], bool]
_MISSING = object()


class _Source:
    """Names for the values a generated function refers to."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"M": _MISSING, "str": str, "len": len}

    def bind(self, value: Any) -> str:
        name = f"b{len(self.names)}"
        self.names[name] = value
        return name


def leaf_condition(node: _Node, var: str, src: _Source) -> str | None:
    """A Python expression true when a leaf value surely passes, or None for no fast form."""
    from interlock.contracts.json_body import CLASSES, EQUAL, PATTERN, PREDICATE

    mode, data = node.mode, node.data
    if mode == EQUAL:
        if data.__class__ not in (str, int, float, bool, type(None)):
            return None
        k, kc = src.bind(data), src.bind(data.__class__)
        return f"({var}.__class__ is {kc} and {var} == {k})"
    if mode == CLASSES:
        if len(data) == 1:
            return f"{var}.__class__ is {src.bind(next(iter(data)))}"
        return f"{var}.__class__ in {src.bind(data)}"
    if mode == PATTERN:
        return f"({var}.__class__ is str and {src.bind(data)}({var}) is not None)"
    if mode == PREDICATE:
        return f"{src.bind(data)}({var})"
    return None


def condition(node: _Node, var: str, src: _Source) -> str | None:
    """A fast expression for any node: a leaf's inline test or a container's predicate call."""
    predicate = getattr(node, "predicate", None)
    if predicate is not None:
        return f"{src.bind(predicate)}({var})"
    return leaf_condition(node, var, src)


def _function(lines: list[str], src: _Source) -> Predicate:
    # the bound names become default arguments: local lookups are the fastest Python has
    params = ", ".join(f"{name}={name}" for name in src.names)
    body = "\n".join("    " + line for line in lines)
    code = f"def ok(a, {params}):\n{body}\n    return True\n"
    namespace = dict(src.names)
    exec(compile(code, "<interlock fast match>", "exec"), namespace)
    fn: Predicate = namespace["ok"]
    return fn


def map_predicate(
    plan: tuple[tuple[str, _Node], ...], keyset: frozenset[str] | None
) -> Predicate | None:
    """For an object: the right type, no unexpected keys (when strict), every child passing."""
    src = _Source()
    lines = ["if a.__class__ is not dict:", "    return False"]
    if keyset is not None:
        lines += [f"if not {src.bind(keyset)}.issuperset(a):", "    return False"]
    for key, node in plan:
        test = condition(node, "v", src)
        if test is None:
            return None
        lines += [f"v = a.get({src.bind(key)}, M)", f"if not {test}:", "    return False"]
    return _function(lines, src)


def list_predicate(
    items: list[_Node],
    template: _Node | None,
    low: int | None,
    high: int | None,
    shape: bool,
) -> Predicate | None:
    """For an array: its size (exact, or within min/max) and every item passing.

    `template` checks the items past the expected ones (type-matched arrays).
    """
    src = _Source()
    lines = ["if a.__class__ is not list:", "    return False"]
    if not shape:
        lines += [f"if len(a) != {len(items)}:", "    return False"]
    if low is not None:
        lines += [f"if len(a) < {int(low)}:", "    return False"]
    if high is not None:
        lines += [f"if len(a) > {int(high)}:", "    return False"]
    for index, node in enumerate(items):
        test = condition(node, "v", src)
        if test is None:
            return None
        lines += [
            f"if len(a) > {index}:",
            f"    v = a[{index}]",
            f"    if not {test}:",
            "        return False",
        ]
    if shape:
        if template is None:
            return None
        test = condition(template, "v", src)
        if test is None:
            return None
        lines += [f"for v in a[{len(items)}:]:", f"    if not {test}:", "        return False"]
    return _function(lines, src)
