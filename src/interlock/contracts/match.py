"""The matchers a consumer test writes in place of exact values: `match.integer(42)`, `match.each_like(...)`.

Each returns a `Matcher` (an example, its Pact matching rules and an optional generator); `compile_value` turns a structure holding them into the example, rules and generators of a Pact file.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.contracts.model import JSON, MatchingRule, RuleList

__all__ = [
    "Compiled",
    "Matcher",
    "array_containing",
    "boolean",
    "compile_value",
    "date",
    "datetime",
    "decimal",
    "each_key",
    "each_like",
    "each_value",
    "either",
    "hexadecimal",
    "include",
    "integer",
    "like",
    "mock_server_url",
    "not_empty",
    "null",
    "number",
    "plain",
    "provider_state",
    "regex",
    "semver",
    "status_code",
    "string",
    "time",
    "uuid",
    "values",
]

UUID_REGEX = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
HEX_REGEX = "[0-9a-fA-F]+"
DATE_FORMAT = "yyyy-MM-dd"
TIME_FORMAT = "HH:mm:ss"
DATETIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Matcher:
    """A value in a contract that matches by rule rather than by equality.

    `example` is what the mock provider serves (it may hold other matchers); `rules` are the
    Pact matcher objects (`{"match": "integer"}`) for its place; `generator` replaces the
    example at run time (`{"type": "RandomInt"}`); `items` marks an `each_like` template,
    whose rules apply to every item of the array.
    """

    example: Any
    rules: tuple[Mapping[str, JSON], ...] = ()
    generator: Mapping[str, JSON] | None = None
    combine: str = "AND"
    items: int | None = None
    any_key: bool = False
    """The example's values are templates for the value under any key (rules at `path.*`)."""


@dataclass
class Compiled:
    """A value with its matchers taken out: the plain example, and rules and generators by path."""

    example: JSON = None
    rules: dict[str, RuleList] = field(default_factory=dict)
    generators: dict[str, dict[str, JSON]] = field(default_factory=dict)


def _generator(generate: bool, spec: Mapping[str, JSON]) -> Mapping[str, JSON] | None:
    return {key: value for key, value in spec.items() if value is not None} if generate else None


def integer(
    example: int = 1, *, min: int | None = None, max: int | None = None, generate: bool = False
) -> Matcher:
    """Any integer; with `generate`, a random one in [min, max] is served."""
    return Matcher(
        example,
        ({"match": "integer"},),
        _generator(generate, {"type": "RandomInt", "min": min, "max": max}),
    )


def decimal(example: float = 1.5, *, digits: int | None = None, generate: bool = False) -> Matcher:
    """Any number with a fractional part; with `generate`, a random one of `digits` digits."""
    return Matcher(
        float(example),
        ({"match": "decimal"},),
        _generator(generate, {"type": "RandomDecimal", "digits": digits}),
    )


def number(example: float = 1) -> Matcher:
    """Any number, integer or decimal."""
    return Matcher(example, ({"match": "number"},))


def like(example: Any) -> Matcher:
    """Any value of the same JSON type as `example` (objects: the same keys, each alike)."""
    return Matcher(example, ({"match": "type"},))


def string(example: str = "text", *, size: int | None = None, generate: bool = False) -> Matcher:
    """Any string; with `generate`, a random one of `size` characters."""
    return Matcher(
        example, ({"match": "type"},), _generator(generate, {"type": "RandomString", "size": size})
    )


def regex(pattern: str, example: str, *, generate: bool = False) -> Matcher:
    """A string matching `pattern` as a whole; with `generate`, a random match is served."""
    if not re.fullmatch(pattern, example):
        raise ValueError(f"the example {example!r} does not match the regex {pattern!r}")
    return Matcher(
        example,
        ({"match": "regex", "regex": pattern},),
        _generator(generate, {"type": "Regex", "regex": pattern}),
    )


def hexadecimal(
    example: str = "3f", *, digits: int | None = None, generate: bool = False
) -> Matcher:
    """A string of hexadecimal digits; with `generate`, random digits."""
    return Matcher(
        example,
        ({"match": "regex", "regex": HEX_REGEX},),
        _generator(generate, {"type": "RandomHexadecimal", "digits": digits}),
    )


def uuid(
    example: str = "e2490de5-5bd3-43d5-b7c4-526e33f71304", *, generate: bool = False
) -> Matcher:
    """A lower-case hyphenated UUID; with `generate`, a random one."""
    return Matcher(
        example, ({"match": "regex", "regex": UUID_REGEX},), _generator(generate, {"type": "Uuid"})
    )


def include(value: str, example: str | None = None) -> Matcher:
    """A string that contains `value`."""
    return Matcher(value if example is None else example, ({"match": "include", "value": value},))


def boolean(example: bool = True, *, generate: bool = False) -> Matcher:
    """true or false; with `generate`, a random one."""
    return Matcher(
        example, ({"match": "boolean"},), _generator(generate, {"type": "RandomBoolean"})
    )


def null() -> Matcher:
    """Exactly null."""
    return Matcher(None, ({"match": "null"},))


def _moment(
    kind: str, default_format: str, form: str | None, example: str, generate: bool
) -> Matcher:
    pattern = form or default_format
    return Matcher(
        example,
        ({"match": kind, "format": pattern},),
        _generator(
            generate,
            {"type": {"date": "Date", "time": "Time"}.get(kind, "DateTime"), "format": pattern},
        ),
    )


def date(
    form: str | None = None, example: str = "2026-01-31", *, generate: bool = False
) -> Matcher:
    """A date in `form` (Java-style, `yyyy-MM-dd` by default); with `generate`, today's."""
    return _moment("date", DATE_FORMAT, form, example, generate)


def time(form: str | None = None, example: str = "12:30:00", *, generate: bool = False) -> Matcher:
    """A time of day in `form` (`HH:mm:ss` by default); with `generate`, the current one."""
    return _moment("time", TIME_FORMAT, form, example, generate)


def datetime(
    form: str | None = None, example: str = "2026-01-31T12:30:00", *, generate: bool = False
) -> Matcher:
    """A timestamp in `form` (`yyyy-MM-dd'T'HH:mm:ss` by default); with `generate`, now."""
    return _moment("datetime", DATETIME_FORMAT, form, example, generate)


def semver(example: str = "1.0.0") -> Matcher:
    """A semantic version string (`1.2.3`, `2.0.0-rc.1`)."""
    return Matcher(example, ({"match": "semver"},))


def not_empty(example: Any) -> Matcher:
    """A value of the example's type that is not empty (no "", [] or {})."""
    return Matcher(example, ({"match": "notEmpty"},))


def each_like(template: Any, *, min: int = 1, max: int | None = None) -> Matcher:
    """An array of at least `min` (and at most `max`) items, each like `template`."""
    if min < 0 or (max is not None and max < builtins.max(min, 1)):
        raise ValueError(f"each_like needs 0 <= min <= max, found min={min}, max={max}")
    rule: dict[str, JSON] = {"match": "type", "min": min}
    if max is not None:
        rule["max"] = max
    return Matcher(template, (rule,), items=builtins.max(min, 1))


def values(example: Mapping[str, Any]) -> Matcher:
    """An object with any keys, each value like the example's: by its matchers, else equal.

    `values({"a": integer(1)})` takes any integers; `values({"a": "x"})` only the text "x".
    """
    return Matcher(dict(example), ({"match": "values"},), any_key=True)


def each_key(example: Mapping[str, Any], rule: Matcher) -> Matcher:
    """An object whose every key passes `rule` (`match.regex(...)`)."""
    plain = dict(example)
    return Matcher(
        plain,
        ({"match": "eachKey", "rules": [dict(r) for r in rule.rules], "value": _text(plain)},),
    )


def each_value(example: Mapping[str, Any] | Sequence[Any], rule: Matcher) -> Matcher:
    """An object (or array) whose every value passes `rule` (`match.integer()`...)."""
    plain = dict(example) if isinstance(example, Mapping) else list(example)
    return Matcher(
        plain,
        ({"match": "eachValue", "rules": [dict(r) for r in rule.rules], "value": _text(plain)},),
    )


def _text(example: Any) -> str:
    """The example as compact JSON text, as the reference implementation writes it in `value`."""
    return json.dumps(compile_value(example).example, separators=(",", ":"))


def array_containing(variants: Sequence[Any]) -> Matcher:
    """An array holding, in any order and among others, an item like each variant."""
    compiled = [compile_value(v, "$") for v in variants]
    described: list[dict[str, JSON]] = []
    for index, variant in enumerate(compiled):
        entry: dict[str, JSON] = {"index": index, "rules": _rules_json(variant.rules)}
        if variant.generators:
            entry["generators"] = variant.generators
        described.append(entry)
    return Matcher(
        [v.example for v in compiled], ({"match": "arrayContains", "variants": described},)
    )


def status_code(status: str | Sequence[int], example: int) -> Matcher:
    """A response status by class (`success`, `clientError`...) or from a list of codes."""
    wanted: JSON = status if isinstance(status, str) else list(status)
    return Matcher(example, ({"match": "statusCode", "status": wanted},))


def provider_state(expression: str, example: Any, *, regex: str | None = None) -> Matcher:
    """A value the provider fills in from its state's parameters (`"/orders/${id}"`).

    The contract checks it by type, or against `regex` when one is given.
    """
    if isinstance(example, bool) or not isinstance(example, int | float):
        data_type = "STRING"
    else:
        data_type = "INTEGER" if isinstance(example, int) else "DECIMAL"
    rule: dict[str, JSON] = (
        {"match": "type"} if regex is None else {"match": "regex", "regex": regex}
    )
    return Matcher(
        example,
        (rule,),
        {"type": "ProviderState", "expression": expression, "dataType": data_type},
    )


def mock_server_url(pattern: str, example: str) -> Matcher:
    """A URL pointing at the provider: the mock (or verifier) puts its own base URL in front.

    The regex's first group is the part kept after the base (`r".*(/orders/\\d+)$"`).
    """
    return Matcher(
        example,
        ({"match": "regex", "regex": pattern},),
        {"type": "MockServerURL", "regex": pattern, "example": example},
    )


def either(*matchers: Matcher) -> Matcher:
    """Passes when any of the matchers passes (`combine: OR`); the first one's example is served."""
    if not matchers:
        raise ValueError("either needs at least one matcher")
    rules = tuple(rule for m in matchers for rule in m.rules)
    return Matcher(matchers[0].example, rules, matchers[0].generator, combine="OR")


def child_path(path: str, key: str | int) -> str:
    """`$.a` + `b` -> `$.a.b`; keys that are not plain names are quoted (`$.a['x-y']`)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}"
    quoted = key.replace("'", "\\'")
    return f"{path}['{quoted}']"


def compile_value(value: Any, path: str = "$", into: Compiled | None = None) -> Compiled:
    """Take the matchers out of `value`: its plain example, and the rules and generators by path."""
    out = into if into is not None else Compiled()
    out.example = _compile(value, path, out)
    return out


def _compile(value: Any, path: str, out: Compiled) -> JSON:
    if isinstance(value, Matcher):
        if value.rules:
            matchers = tuple(MatchingRule(str(r["match"]), dict(r)) for r in value.rules)
            out.rules[path] = RuleList(matchers, value.combine, value.combine != "AND")
        if value.generator is not None:
            out.generators[path] = dict(value.generator)
        if value.items is not None:
            item = _compile(value.example, f"{path}[*]", out)
            return [item for _ in range(value.items)]
        if any(r.get("match") == "arrayContains" for r in value.rules):
            return value.example  # variants were compiled on their own, relative to each item
        if value.any_key and isinstance(value.example, Mapping):
            return {str(k): _compile(v, f"{path}.*", out) for k, v in value.example.items()}
        return _compile(value.example, path, out)
    if isinstance(value, Mapping):
        return {str(k): _compile(v, child_path(path, str(k)), out) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_compile(v, child_path(path, i), out) for i, v in enumerate(value)]
    return value


def _rules_json(rules: Mapping[str, RuleList]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for path, rule_list in rules.items():
        entry: dict[str, JSON] = {"matchers": [dict(m.attributes) for m in rule_list.matchers]}
        if rule_list.combine != "AND":
            entry["combine"] = rule_list.combine
        out[path] = entry
    return out


def plain(value: Any) -> JSON:
    """The example of a value with matchers in it (what the mock provider serves by default)."""
    return compile_value(value).example
