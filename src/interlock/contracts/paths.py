"""Path expressions of matching rules (`$.items[*].id`) and the v2 weighting between them.

A rule applies to its path and everything below it; the most specific rule wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

FIELD, INDEX, STAR, STAR_INDEX = 0, 1, 2, 3
_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class PathSyntaxError(ValueError):
    """A path expression that cannot be read; the message says where and what was expected."""


@dataclass(frozen=True)
class PathExpression:
    """A parsed rule path: `$` then fields, indexes, `*` and `[*]`."""

    text: str
    tokens: tuple[tuple[int, str], ...]

    def weight(self, path: tuple[str, ...]) -> int:
        """0 when the rule does not apply to `path` (a tuple of fragments after `$`).

        Otherwise the product of the token weights (2 for an exact name or index,
        1 for a wildcard), as the Pact specification's v2 weighting does.
        """
        tokens = self.tokens
        if len(tokens) > len(path):
            return 0
        weight = 2
        for (kind, value), fragment in zip(tokens, path, strict=False):
            if kind in (FIELD, INDEX):
                if value != fragment:
                    return 0
                weight *= 2
            elif kind == STAR_INDEX and not fragment.isdigit():
                return 0
            # STAR matches anything with weight 1
        return weight


def parse_path(text: str) -> PathExpression:
    """Parse `$.a.b[0]['c d'][*].*` into tokens; raise `PathSyntaxError` when it cannot."""
    if not text.startswith("$"):
        raise PathSyntaxError(f"path expression {text!r} must start with $")
    tokens: list[tuple[int, str]] = []
    i, n = 1, len(text)
    while i < n:
        ch = text[i]
        if ch == ".":
            j = i + 1
            while j < n and text[j] not in ".[":
                j += 1
            name = text[i + 1 : j]
            if not name:
                raise PathSyntaxError(f"path expression {text!r}: empty name at {i}")
            tokens.append((STAR, "*") if name == "*" else (FIELD, name))
            i = j
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise PathSyntaxError(f"path expression {text!r}: '[' at {i} is never closed")
            inner = text[i + 1 : end].strip()
            if inner == "*":
                tokens.append((STAR_INDEX, "*"))
            elif inner.isdigit():
                tokens.append((INDEX, inner))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                tokens.append((FIELD, inner[1:-1]))
            else:
                raise PathSyntaxError(
                    f"path expression {text!r}: expected a number, * or a quoted name in [] at {i}"
                )
            i = end + 1
        else:
            raise PathSyntaxError(f"path expression {text!r}: expected '.' or '[' at {i}")
    return PathExpression(text, tuple(tokens))


def format_path(path: Iterable[str]) -> str:
    """Fragments back to a readable path: `('items', '0', 'id')` -> `$.items[0].id`."""
    out = ["$"]
    for fragment in path:
        if fragment.isdigit():
            out.append(f"[{fragment}]")
        elif _SIMPLE_NAME.match(fragment):
            out.append(f".{fragment}")
        else:
            out.append(f"['{fragment}']")
    return "".join(out)


class RuleIndex(Generic[T]):
    """Rules keyed by path expression, answering "which rule applies here" with a cache."""

    def __init__(self, rules: Mapping[str, T]) -> None:
        self._rules = [(parse_path(key), value) for key, value in rules.items()]
        self._cache: dict[tuple[str, ...], tuple[T | None, bool]] = {}

    def __bool__(self) -> bool:
        return bool(self._rules)

    def best(self, path: tuple[str, ...]) -> tuple[T | None, bool]:
        """The rule of the most specific expression applying to `path` (or None), and
        whether it was written for this very place (True) or inherited from above (False)."""
        try:
            return self._cache[path]
        except KeyError:
            pass
        found: T | None = None
        best = (0, -1)
        for expression, value in self._rules:
            weight = expression.weight(path)
            if weight and (weight, len(expression.tokens)) >= best:
                best = (weight, len(expression.tokens))
                found = value
        answer = (found, best[1] == len(path))
        if len(self._cache) < 10_000:
            self._cache[path] = answer
        return answer

    def scored(self, path: tuple[str, ...]) -> tuple[tuple[int, int], T | None]:
        """The best rule for `path` with its score (weight, steps); (0, -1) when none applies."""
        found: T | None = None
        best = (0, -1)
        for expression, value in self._rules:
            weight = expression.weight(path)
            if weight and (weight, len(expression.tokens)) >= best:
                best = (weight, len(expression.tokens))
                found = value
        return best, found

    def names_index_at(self, depth: int, at_least: int) -> bool:
        """Whether some rule names a specific array index >= `at_least` at step `depth`."""
        for expression, _value in self._rules:
            tokens = expression.tokens
            if (
                len(tokens) > depth
                and tokens[depth][0] == INDEX
                and int(tokens[depth][1]) >= at_least
            ):
                return True
        return False

    def exact(self, path: tuple[str, ...]) -> T | None:
        """The rule whose expression has exactly as many steps as `path` and applies to it."""
        for expression, value in self._rules:
            if len(expression.tokens) == len(path) and expression.weight(path):
                return value
        return None
