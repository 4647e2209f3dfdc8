"""The matchers of the Pact specification applied to one value, and `combine` AND/OR.

Each check returns None when the value passes, or the words of what was expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from interlock.contracts.datetimes import DateFormatError, matches_format, to_strftime
from interlock.contracts.model import JSON, MatchingRule, RuleList

COLLECTION_KINDS = frozenset({"type", "values", "eachKey", "eachValue", "arrayContains"})
"""Matchers that, defined on an object or array, change how its children are compared."""

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_INTEGER_TEXT = re.compile(r"^-?\d+$")
_DECIMAL_TEXT = re.compile(r"^-?\d+\.\d+$")
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
STATUS_CLASSES: Mapping[str, Callable[[int], bool]] = {
    "info": lambda s: 100 <= s < 200,
    "success": lambda s: 200 <= s < 300,
    "redirect": lambda s: 300 <= s < 400,
    "clientError": lambda s: 400 <= s < 500,
    "serverError": lambda s: 500 <= s < 600,
    "nonError": lambda s: s < 400,
    "error": lambda s: s >= 400,
}
KNOWN_KINDS = frozenset(
    {
        "equality",
        "regex",
        "type",
        "min",
        "max",
        "minType",
        "maxType",
        "include",
        "integer",
        "decimal",
        "number",
        "null",
        "boolean",
        "date",
        "time",
        "datetime",
        "timestamp",
        "contentType",
        "values",
        "arrayContains",
        "statusCode",
        "notEmpty",
        "semver",
        "eachKey",
        "eachValue",
    }
)


def check_rule_settings(kind: str, data: Mapping[str, Any]) -> str | None:
    """Why a matcher's settings are unusable, or None when they are fine."""
    if kind not in KNOWN_KINDS:
        return f"expected a known matcher, found {kind!r}"
    if kind == "regex":
        pattern = data.get("regex")
        if not isinstance(pattern, str):
            return "expected a 'regex' string for the regex matcher"
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"regex {pattern!r} is not a valid regular expression: {exc}"
    if kind in ("date", "time", "datetime", "timestamp"):
        pattern = _date_pattern(MatchingRule(kind, data))
        if pattern is not None:
            try:
                to_strftime(pattern)
            except DateFormatError as exc:
                return str(exc)
    for key in ("min", "max"):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool)):
            return f"expected a whole number for {key!r}"
    if kind in ("eachKey", "eachValue") and not isinstance(data.get("rules", []), list):
        return f"expected a 'rules' array for {kind}"
    if kind == "arrayContains" and not isinstance(data.get("variants"), list):
        return "expected a 'variants' array for arrayContains"
    return None


def json_kind(value: JSON) -> str:
    """The JSON type of a value: null, boolean, number, string, array or object."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def show(value: JSON) -> str:
    """A value as a person reads it in a mismatch: JSON, shortened when long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def same_value(expected: JSON, actual: JSON) -> bool:
    """Equality that keeps JSON types apart (`1 != true`, `"1" != 1`)."""
    if json_kind(expected) != json_kind(actual):
        return False
    return bool(expected == actual)


def as_text(value: JSON) -> str | None:
    """The text a regex or include matcher sees: strings as is, numbers and booleans as JSON."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, list | dict):
        return None
    return json.dumps(value)


@lru_cache(maxsize=1024)
def compiled_regex(pattern: str) -> re.Pattern[str]:
    """A compiled regex, kept for reuse across matches."""
    return re.compile(pattern)


def _date_pattern(rule: MatchingRule) -> str | None:
    pattern = rule.get("format")
    if pattern is None:
        pattern = rule.get(rule.kind)
    return pattern if isinstance(pattern, str) else None


def check_rule(rule: MatchingRule, expected: JSON, actual: JSON) -> str | None:
    """Apply one matcher to a value; None when it passes, else what was expected."""
    kind = rule.kind
    if kind == "equality":
        return None if same_value(expected, actual) else f"expected {show(expected)}"
    if kind == "regex":
        pattern = str(rule.get("regex"))
        text = as_text(actual)
        if text is not None and compiled_regex(pattern).fullmatch(text):
            return None
        return f"expected a value matching the regex {pattern!r}"
    if kind in ("type", "min", "max", "minType", "maxType"):
        return _check_type(rule, expected, actual)
    if kind == "include":
        text, needle = as_text(actual), str(rule.get("value"))
        return (
            None if text is not None and needle in text else f"expected text including {needle!r}"
        )
    if kind == "integer":
        ok = isinstance(actual, int) and not isinstance(actual, bool)
        # text counts only where the contract has text (headers, query, XML)
        ok = ok or (
            isinstance(expected, str)
            and isinstance(actual, str)
            and bool(_INTEGER_TEXT.match(actual))
        )
        return None if ok else "expected an integer"
    if kind == "decimal":
        ok = isinstance(actual, float) or (
            isinstance(expected, str)
            and isinstance(actual, str)
            and bool(_DECIMAL_TEXT.match(actual))
        )
        return None if ok else "expected a decimal number (with a fractional part)"
    if kind == "number":
        ok = isinstance(actual, int | float) and not isinstance(actual, bool)
        ok = ok or (
            isinstance(expected, str)
            and isinstance(actual, str)
            and bool(_NUMBER_TEXT.match(actual))
        )
        return None if ok else "expected a number"
    if kind == "null":
        return None if actual is None else "expected null"
    if kind == "boolean":
        ok = isinstance(actual, bool) or actual in ("true", "false")  # the spec allows both forms
        return None if ok else "expected true or false"
    if kind in ("date", "time", "datetime", "timestamp"):
        return _check_datetime(rule, actual)
    if kind == "semver":
        ok = isinstance(actual, str) and bool(SEMVER.match(actual))
        return None if ok else "expected a semantic version (like 1.2.3)"
    if kind == "notEmpty":
        if actual is None or actual in ("", [], {}):
            return "expected a value that is not empty"
        if expected is not None and json_kind(expected) != json_kind(actual):
            return f"expected a non-empty {json_kind(expected)}"
        return None
    if kind == "statusCode":
        return check_status(rule, actual)
    if kind == "values":
        # on an object or array it is a shape, checked value by value below; on a value itself
        # it compares like equality, as the reference does
        if isinstance(expected, dict | list):
            return _check_type(rule, expected, actual)
        return None if same_value(expected, actual) else f"expected {show(expected)}"
    if kind in ("eachKey", "eachValue", "arrayContains"):
        ok = isinstance(actual, dict | list)
        return None if ok else f"expected an object or array for {kind}"
    if kind == "contentType":
        return None  # checked on the whole body by the body comparison
    return f"unknown matcher {kind!r}"


def _check_type(rule: MatchingRule, expected: JSON, actual: JSON) -> str | None:
    want, got = json_kind(expected), json_kind(actual)
    if want != got:
        return f"expected a value of type {want}"
    if isinstance(actual, list):
        low, high = rule.get("min"), rule.get("max")
        if isinstance(low, int) and len(actual) < low:
            return f"expected an array of at least {low} item(s), found {len(actual)}"
        if isinstance(high, int) and len(actual) > high:
            return f"expected an array of at most {high} item(s), found {len(actual)}"
    return None


def _check_datetime(rule: MatchingRule, actual: JSON) -> str | None:
    kind = "datetime" if rule.kind == "timestamp" else rule.kind
    pattern = _date_pattern(rule)
    if isinstance(actual, str) and matches_format(actual, kind, pattern):
        return None
    where = f"format {pattern!r}" if pattern else "ISO 8601 form"
    return f"expected a {kind} in {where}"


def check_status(rule: MatchingRule, actual: JSON) -> str | None:
    """The statusCode matcher: a class name (`success`...) or a list of codes."""
    wanted = rule.get("status")
    if not isinstance(actual, int):
        return "expected an HTTP status code"
    if isinstance(wanted, list):
        return None if actual in wanted else f"expected one of the status codes {wanted}"
    test = STATUS_CLASSES.get(str(wanted))
    if test is None:
        return f"unknown status class {wanted!r}"
    return None if test(actual) else f"expected a {wanted} status"


def check_rules(rules: RuleList, expected: JSON, actual: JSON) -> str | None:
    """Apply a rule list: AND needs every matcher to pass, OR needs one."""
    if rules.combine == "OR":
        problems = []
        for rule in rules.matchers:
            problem = check_rule(rule, expected, actual)
            if problem is None:
                return None
            problems.append(problem)
        return " or ".join(problems) if problems else None
    for rule in rules.matchers:
        problem = check_rule(rule, expected, actual)
        if problem is not None:
            return problem
    return None


def has_collection_rule(rules: RuleList | None) -> bool:
    """Whether the rules make an array or object compare by shape rather than item by item."""
    return rules is not None and any(
        m.kind in COLLECTION_KINDS
        or m.kind in ("min", "max", "minType", "maxType", "notEmpty")
        or "min" in m.attributes
        or "max" in m.attributes
        for m in rules.matchers
    )
