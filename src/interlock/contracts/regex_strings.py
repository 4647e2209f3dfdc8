"""Making a string that a regular expression matches, for the Regex generator.

Walks the stdlib's parse of the pattern (sre_parse) and picks characters and repeat counts at random.
"""

from __future__ import annotations

import random
import re
import string
import warnings
from typing import Any

with warnings.catch_warnings():
    # sre_parse is the stdlib's own regex parser; 3.11 marks the public name deprecated
    # in favour of a private one, and we would rather not import the private name.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as C
    import sre_parse

_PRINTABLE = string.ascii_letters + string.digits + "-_"
_CATEGORIES = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_NOT_DIGIT: string.ascii_letters + "-_",
    C.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    C.CATEGORY_NOT_WORD: " -.,;:!",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: _PRINTABLE,
}
_EXTRA_REPEATS = 4


class RegexGenerationError(ValueError):
    """A pattern for which no matching string could be made."""


def string_matching(pattern: str, rng: random.Random | None = None, attempts: int = 25) -> str:
    """A random string that `re.fullmatch(pattern, ...)` accepts."""
    rng = rng or random.Random()
    try:
        compiled = re.compile(pattern)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise RegexGenerationError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
    for _ in range(attempts):
        groups: dict[int, str] = {}
        text = _emit(list(parsed.data), rng, groups)
        if compiled.fullmatch(text):
            return text
    raise RegexGenerationError(f"could not make a string matching {pattern!r}")


def _emit(items: list[tuple[Any, Any]], rng: random.Random, groups: dict[int, str]) -> str:
    return "".join(_one(op, arg, rng, groups) for op, arg in items)


def _one(op: Any, arg: Any, rng: random.Random, groups: dict[int, str]) -> str:
    if op is C.LITERAL:
        return chr(arg)
    if op is C.NOT_LITERAL:
        choices = [c for c in _PRINTABLE if ord(c) != arg]
        return rng.choice(choices)
    if op is C.ANY:
        return rng.choice(_PRINTABLE)
    if op is C.IN:
        return _from_set(arg, rng)
    if op is C.BRANCH:
        return _emit(list(rng.choice(arg[1])), rng, groups)
    if op is C.SUBPATTERN:
        group, _add, _del, body = arg
        text = _emit(list(body), rng, groups)
        if group is not None:
            groups[group] = text
        return text
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, body = arg
        top = low + _EXTRA_REPEATS if high is C.MAXREPEAT else min(high, low + _EXTRA_REPEATS)
        count = rng.randint(low, max(low, top))
        return "".join(_emit(list(body), rng, groups) for _ in range(count))
    if op is C.CATEGORY:
        return rng.choice(_CATEGORIES.get(arg, _PRINTABLE))
    if op is C.GROUPREF:
        return groups.get(arg, "")
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _emit(list(arg), rng, groups)
    # anchors and look-arounds produce no text
    return ""


def _from_set(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    allowed: set[str] = set()
    negate = False
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            allowed.add(chr(arg))
        elif op is C.RANGE:
            low, high = arg
            allowed.update(chr(c) for c in range(low, min(high, low + 200) + 1))
        elif op is C.CATEGORY:
            allowed.update(_CATEGORIES.get(arg, ""))
    pool = [c for c in _PRINTABLE if c not in allowed] if negate else sorted(allowed)
    return rng.choice(pool) if pool else ""
