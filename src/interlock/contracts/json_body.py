"""Comparing JSON values under matching rules, compiled once per expected body.

The expected value and its rules become a tree of checks, so matching many actual values
looks each rule path up only once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.contracts.datetimes import format_checker
from interlock.contracts.json_fast import Predicate, list_predicate, map_predicate
from interlock.contracts.matchers import (
    SEMVER,
    check_rules,
    compiled_regex,
    has_collection_rule,
    json_kind,
    same_value,
    show,
)
from interlock.contracts.model import JSON, MatchingRule, Mismatch, RuleList
from interlock.contracts.paths import RuleIndex, format_path

_COLLECTION_ONLY = frozenset({"eachKey", "eachValue", "arrayContains", "contentType"})
_EQUALITY = MatchingRule("equality")
Path = tuple[str, ...]


def _inherited(rules: RuleList, expected: JSON) -> RuleList | None:
    """A rule list seen from below its own path: collection-only matchers do not reach down.

    `values` reaches down as the reference (pact_matching) has it: a value under the map is
    compared with the example by equality unless a rule of its own says otherwise; an array
    keeps `values` (its items compare with the example's, its length is free); a nested
    object drops it (its keys compare as usual).
    """
    container = isinstance(expected, dict | list)
    kept = tuple(
        _EQUALITY if m.kind == "values" and not container else m
        for m in rules.matchers
        if m.kind not in _COLLECTION_ONLY
        and not (m.kind == "values" and isinstance(expected, dict))
    )
    if kept == rules.matchers:
        return rules
    return RuleList(kept, rules.combine) if kept else None


class JsonComparator:
    """Compares actual JSON values with one expected value under body rules.

    `allow_unexpected_keys` is False for requests (strict) and True for responses and
    messages (lenient), as the specification says.
    """

    def __init__(
        self,
        expected: JSON,
        rules: Mapping[str, RuleList] | RuleIndex[RuleList],
        allow_unexpected_keys: bool,
        category: str = "body",
    ) -> None:
        self.index = rules if isinstance(rules, RuleIndex) else RuleIndex(rules)
        self.allow_unexpected_keys = allow_unexpected_keys
        self.category = category
        self.root = self.compile(expected, ())

    def compare(self, actual: JSON) -> list[Mismatch]:
        """Every mismatch between the expected value and `actual`."""
        root = self.root
        if root.predicate is not None and root.predicate(actual):
            return []
        out: list[Mismatch] = []
        root.check(actual, out)
        return out

    def rules_at(self, path: Path, expected: JSON) -> RuleList | None:
        """The rules for the value at `path`, whose example is `expected`."""
        rules, own = self.index.best(path)
        if rules is None or own:
            return rules
        return _inherited(rules, expected)

    def compile(self, expected: JSON, path: Path, override: RuleList | None = None) -> _Node:
        rules = override if override is not None else self.rules_at(path, expected)
        if isinstance(expected, dict):
            return _MapNode(self, expected, path, rules)
        if isinstance(expected, list):
            return _ListNode(self, expected, path, rules)
        if rules is not None and rules.matchers:
            return _RuleLeaf(self, expected, path, rules)
        return _EqualLeaf(self, expected, path)

    def mismatch(self, path: Path, expected: str, actual: JSON, message: str) -> Mismatch:
        return Mismatch(self.category, format_path(path), expected, show(actual), message)


# How a container checks a child without calling it: the fast paths of the common matchers.
# A child that fails its fast path is checked again in full, which words the mismatch.
EQUAL, CLASSES, PATTERN, PREDICATE, NODE = 0, 1, 2, 3, 4
_MISSING = object()
_NUMBER = frozenset({int, float})
_CLASSES_OF_KIND: dict[str, frozenset[type]] = {
    "integer": frozenset({int}),
    "decimal": frozenset({float}),
    "number": _NUMBER,
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
}
_CLASSES_OF_EXAMPLE: dict[type, frozenset[type]] = {
    str: frozenset({str}),
    int: _NUMBER,
    float: _NUMBER,
    bool: frozenset({bool}),
    type(None): frozenset({type(None)}),
}


def _fast_path(rules: RuleList, expected: JSON) -> tuple[int, Any]:
    if len(rules.matchers) != 1:
        return NODE, None
    rule = rules.matchers[0]
    kind = rule.kind
    if kind in _CLASSES_OF_KIND:
        return CLASSES, _CLASSES_OF_KIND[kind]
    if kind == "equality":
        return EQUAL, expected
    if kind == "type" and expected.__class__ in _CLASSES_OF_EXAMPLE:
        return CLASSES, _CLASSES_OF_EXAMPLE[expected.__class__]
    if kind == "regex":
        return PATTERN, compiled_regex(str(rule.get("regex"))).fullmatch
    if kind == "semver":
        return PATTERN, SEMVER.fullmatch
    if kind in ("date", "time", "datetime", "timestamp"):
        moment = "datetime" if kind == "timestamp" else kind
        pattern = rule.get("format", rule.get(kind))
        fmt = pattern if isinstance(pattern, str) else None
        return PREDICATE, format_checker(moment, fmt)
    return NODE, None


def _passes(node: _Node, value: JSON) -> bool:
    """The fast path of a child: True when it surely passes, False when it must be checked."""
    mode = node.mode
    if mode == CLASSES:
        return value.__class__ in node.data
    if mode == PATTERN:
        return value.__class__ is str and node.data(value) is not None
    if mode == EQUAL:
        data = node.data
        return bool(value == data and value.__class__ is data.__class__)
    if mode == PREDICATE:
        return bool(node.data(value))
    return False


class _Node:
    __slots__ = ("comparator", "data", "expected", "mode", "path", "predicate")

    def __init__(self, comparator: JsonComparator, expected: JSON, path: Path) -> None:
        self.comparator = comparator
        self.expected = expected
        self.path = path
        self.mode = NODE
        self.data: Any = None
        self.predicate: Predicate | None = None

    def check(self, actual: JSON, out: list[Mismatch]) -> None:
        raise NotImplementedError


class _EqualLeaf(_Node):
    __slots__ = ()

    def __init__(self, comparator: JsonComparator, expected: JSON, path: Path) -> None:
        super().__init__(comparator, expected, path)
        self.mode, self.data = EQUAL, expected

    def check(self, actual: JSON, out: list[Mismatch]) -> None:
        expected = self.expected
        if actual == expected and actual.__class__ is expected.__class__:
            return
        if same_value(expected, actual):
            return
        out.append(
            self.comparator.mismatch(
                self.path,
                show(expected),
                actual,
                f"expected {show(expected)}, found {show(actual)}",
            )
        )


class _RuleLeaf(_Node):
    __slots__ = ("rules",)

    def __init__(
        self, comparator: JsonComparator, expected: JSON, path: Path, rules: RuleList
    ) -> None:
        super().__init__(comparator, expected, path)
        self.rules = rules
        self.mode, self.data = _fast_path(rules, expected)

    def check(self, actual: JSON, out: list[Mismatch]) -> None:
        problem = check_rules(self.rules, self.expected, actual)
        if problem is not None:
            out.append(
                self.comparator.mismatch(
                    self.path,
                    problem.removeprefix("expected "),
                    actual,
                    f"{problem}, found {show(actual)}",
                )
            )


def _first(rules: RuleList | None, kinds: tuple[str, ...]) -> MatchingRule | None:
    if rules is None:
        return None
    for rule in rules.matchers:
        if rule.kind in kinds:
            return rule
    return None


def _inner_rules(rule: MatchingRule) -> RuleList | None:
    raw = rule.get("rules") or []
    matchers = tuple(
        MatchingRule(str(m.get("match", "type")), dict(m)) for m in raw if isinstance(m, dict)
    )
    return RuleList(matchers) if matchers else None


class _MapNode(_Node):
    __slots__ = (
        "children",
        "each_key",
        "each_value",
        "extra_nodes",
        "keyset",
        "plain",
        "plan",
        "rules",
        "values",
    )

    def __init__(
        self,
        comparator: JsonComparator,
        expected: dict[str, Any],
        path: Path,
        rules: RuleList | None,
    ) -> None:
        super().__init__(comparator, expected, path)
        self.rules = rules
        self.children = {k: comparator.compile(v, (*path, k)) for k, v in expected.items()}
        self.values = _first(rules, ("values",)) is not None
        self.each_key = _first(rules, ("eachKey",))
        self.each_value = _first(rules, ("eachValue",))
        self.extra_nodes: dict[tuple[str, bool], _Node] = {}
        self.plan = tuple(self.children.items())
        self.keyset = frozenset(self.children)
        self.plain = (
            not self.values
            and self.each_key is None
            and self.each_value is None
            and (rules is None or all(m.kind == "type" for m in rules.matchers))
        )
        if self.plain:
            strict = None if comparator.allow_unexpected_keys else self.keyset
            self.predicate = map_predicate(self.plan, strict)

    def _template(self, key: str, each_value: bool) -> _Node | None:
        """The node for an actual key the example lacks (or for any key under `eachValue`)."""
        node = self.extra_nodes.get((key, each_value))
        if node is None and self.expected:
            # the reference reads the example into a sorted map: its first key is the least
            template = self.expected[min(self.expected)]
            override = _inner_rules(self.each_value) if each_value and self.each_value else None
            node = self.comparator.compile(template, (*self.path, key), override)
            if len(self.extra_nodes) < 1000:
                self.extra_nodes[(key, each_value)] = node
        return node

    def check(self, actual: JSON, out: list[Mismatch]) -> None:
        if self.predicate is not None and self.predicate(actual):
            return
        if self.plain and actual.__class__ is dict:
            if not self.comparator.allow_unexpected_keys and not self.keyset.issuperset(actual):
                self._unexpected(actual, out)
            get = actual.get
            for key, node in self.plan:
                value = get(key, _MISSING)
                if value is _MISSING:
                    self._missing(key, actual, out)
                elif not _passes(node, value):
                    node.check(value, out)
            return
        rules = self.rules
        if rules is not None and rules.matchers:
            problem = check_rules(rules, self.expected, actual)
            if problem is not None:
                out.append(
                    self.comparator.mismatch(
                        self.path, problem, actual, f"{problem}, found {show(actual)}"
                    )
                )
                return
        if not isinstance(actual, dict):
            found = json_kind(actual)
            out.append(
                self.comparator.mismatch(
                    self.path,
                    "an object",
                    actual,
                    f"expected an object, found {found} {show(actual)}",
                )
            )
            return
        if self.each_key is not None:
            key_rules = _inner_rules(self.each_key)
            for key in actual:
                problem = check_rules(key_rules, key, key) if key_rules else None
                if problem is not None:
                    out.append(
                        self.comparator.mismatch(self.path, problem, key, f"key {key!r}: {problem}")
                    )
        if self.values or self.each_value is not None:
            if not self.expected and actual and not self.comparator.allow_unexpected_keys:
                # no example to compare with: a request's keys are all unexpected
                self._unexpected(actual, out)
            for key, value in actual.items():
                # both apply when both are written: the example's value, and eachValue's rules
                if self.values:
                    child = self.children.get(key) or self._template(key, False)
                    if child is not None:
                        child.check(value, out)
                if self.each_value is not None:
                    child = self._template(key, True)
                    if child is not None:
                        child.check(value, out)
            return
        strict = not self.comparator.allow_unexpected_keys and self.each_key is None
        if strict and not self.keyset.issuperset(actual):
            self._unexpected(actual, out)
        for key, node in self.plan:
            if key in actual:
                node.check(actual[key], out)
            elif self.each_key is None:
                self._missing(key, actual, out)

    def _unexpected(self, actual: dict[str, Any], out: list[Mismatch]) -> None:
        unexpected = [k for k in actual if k not in self.keyset]
        names = ", ".join(repr(k) for k in unexpected)
        out.append(
            self.comparator.mismatch(
                self.path,
                f"keys {', '.join(repr(k) for k in self.children) or 'none'}",
                actual,
                f"unexpected key(s) {names}: a request must not send keys the contract does not have",
            )
        )

    def _missing(self, key: str, actual: dict[str, Any], out: list[Mismatch]) -> None:
        out.append(
            self.comparator.mismatch(
                self.path, f"key {key!r}", actual, f"expected the key {key!r}, but it is missing"
            )
        )


class _ListNode(_Node):
    __slots__ = ("contains", "extra_nodes", "items", "rules", "shape", "template_override")

    def __init__(
        self, comparator: JsonComparator, expected: list[Any], path: Path, rules: RuleList | None
    ) -> None:
        super().__init__(comparator, expected, path)
        self.rules = rules
        self.items = [comparator.compile(v, (*path, str(i))) for i, v in enumerate(expected)]
        self.shape = rules is not None and bool(rules.matchers)
        each_value = _first(rules, ("eachValue",))
        self.template_override = _inner_rules(each_value) if each_value else None
        if self.template_override is not None:
            self.items = [
                comparator.compile(v, (*path, str(i)), self.template_override)
                for i, v in enumerate(expected)
            ]
        self.contains = _first(rules, ("arrayContains",))
        self.extra_nodes: dict[int, _Node] = {}
        self.shape = self.shape or has_collection_rule(rules)
        self.predicate = self._fast_predicate()

    def _fast_predicate(self) -> Predicate | None:
        rules = self.rules
        if self.contains is not None or self.template_override is not None:
            return None
        low: int | None = None
        high: int | None = None
        for rule in rules.matchers if rules is not None else ():
            if rule.kind not in ("type", "min", "max", "minType", "maxType"):
                return None
            low = rule.get("min", low)
            high = rule.get("max", high)
        template = None
        if self.shape and self.expected:
            depth, count = len(self.path), len(self.items)
            if self.comparator.index.names_index_at(depth, count):
                return None
            template = self.comparator.compile(self.expected[0], (*self.path, str(count)))
        return list_predicate(self.items, template, low, high, self.shape)

    def _item(self, index: int) -> _Node | None:
        if index < len(self.items):
            return self.items[index]
        node = self.extra_nodes.get(index)
        if node is None and self.expected:
            node = self.comparator.compile(
                self.expected[0], (*self.path, str(index)), self.template_override
            )
            if len(self.extra_nodes) < 1000:
                self.extra_nodes[index] = node
        return node

    def check(self, actual: JSON, out: list[Mismatch]) -> None:
        if self.predicate is not None and self.predicate(actual):
            return
        rules = self.rules
        if rules is not None and rules.matchers:
            problem = check_rules(rules, self.expected, actual)
            if problem is not None:
                out.append(
                    self.comparator.mismatch(
                        self.path, problem, actual, f"{problem}, found {show(actual)}"
                    )
                )
                return
        if not isinstance(actual, list):
            found = json_kind(actual)
            out.append(
                self.comparator.mismatch(
                    self.path,
                    "an array",
                    actual,
                    f"expected an array, found {found} {show(actual)}",
                )
            )
            return
        if self.contains is not None:
            self._check_contains(self.contains, actual, out)
            return
        if self.shape:
            items, count = self.items, len(self.items)
            for index, value in enumerate(actual):
                node = items[index] if index < count else self._item(index)
                if node is not None and not _passes(node, value):
                    node.check(value, out)
            return
        if len(actual) != len(self.items):
            out.append(
                self.comparator.mismatch(
                    self.path,
                    f"{len(self.items)} item(s)",
                    actual,
                    f"expected an array of {len(self.items)} item(s), found {len(actual)} item(s)",
                )
            )
        for node, value in zip(self.items, actual, strict=False):
            node.check(value, out)

    def _check_contains(self, rule: MatchingRule, actual: list[Any], out: list[Mismatch]) -> None:
        for number, variant in enumerate(rule.get("variants") or []):
            index = variant.get("index", number) if isinstance(variant, dict) else number
            if not isinstance(index, int) or index >= len(self.expected):
                continue
            raw_rules = variant.get("rules", {}) if isinstance(variant, dict) else {}
            from interlock.contracts.pact_reader import parse_matching_rules

            variant_rules = parse_matching_rules({"body": raw_rules}, "arrayContains", "$").get(
                "body", {}
            )
            inner = JsonComparator(
                self.expected[index], variant_rules, True, self.comparator.category
            )
            if not any(not inner.compare(item) for item in actual):
                out.append(
                    self.comparator.mismatch(
                        self.path,
                        show(self.expected[index]),
                        actual,
                        f"expected the array to contain an item like {show(self.expected[index])}, none matched",
                    )
                )
