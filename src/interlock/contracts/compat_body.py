"""Whether a pact's JSON body, read with its matching rules, is one an OpenAPI schema allows.

A value under a `type`-like matcher stands for any value of its JSON type, so only the type is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from interlock.contracts.model import JSON, MatchingRule, RuleList
from interlock.contracts.openapi_doc import OpenApiDocument
from interlock.contracts.openapi_schema import schema_types, validate_schema
from interlock.contracts.paths import RuleIndex, format_path

Direction = Literal["request", "response"]
_TYPE_LIKE = frozenset({"type", "min", "max", "minType", "maxType", "values", "notEmpty"})
_STRING_LIKE = frozenset({"include", "semver", "contentType", "date", "time", "datetime"})
_DATE_FORMATS = {"date": "date", "time": "time", "datetime": "date-time", "timestamp": "date-time"}
_COLLECTION_ONLY = frozenset({"eachKey", "eachValue", "arrayContains", "contentType"})


@dataclass(frozen=True)
class CompatProblem:
    """One reason an interaction is not supported by the spec.

    `where` is the place in the interaction (`response body $.items[0].id`), `pointer` the JSON
    pointer of what the spec says there, `location` a key (`GET /orders/{}`, `response`, `200`,
    `body`, `$`, `items`, `*`, `id`) that ties the problem to changes between two specs.
    """

    where: str
    spec_says: str
    pact_has: str
    pointer: str
    location: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: the spec says {self.spec_says}; the pact has {self.pact_has}"


def value_kind(value: JSON) -> str:
    """The JSON Schema type of a value (`integer` for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def kind_allowed(kind: str, kinds: list[str]) -> bool:
    """Whether a value of JSON Schema type `kind` fits a schema typed `kinds` ([] = anything)."""
    return not kinds or kind in kinds or (kind == "integer" and "number" in kinds)


def flatten(schema: Any, document: OpenApiDocument, pointer: str) -> tuple[dict[str, Any], str]:
    """The schema at `pointer` with `$ref` followed and `allOf` members merged into one."""
    resolved, pointer = document.resolve_at(schema, pointer)
    if not isinstance(resolved, dict):
        return {}, pointer
    if "allOf" not in resolved:
        return resolved, pointer
    merged: dict[str, Any] = {k: v for k, v in resolved.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for index, member in enumerate(resolved["allOf"]):
        part, _ = flatten(member, document, f"{pointer}/allOf/{index}")
        properties.update(part.get("properties", {}))
        required.extend(r for r in part.get("required", []) if r not in required)
        for key, value in part.items():
            merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged, pointer


def _show(value: JSON) -> str:
    text = repr(value) if not isinstance(value, dict | list) else value_kind(value)
    return text if len(text) <= 60 else text[:57] + "..."


class BodyCheck:
    """Checks one pact body against one schema under the body's matching rules."""

    def __init__(
        self,
        document: OpenApiDocument,
        rules: Mapping[str, RuleList],
        direction: Direction,
        where: str,
        location: tuple[str, ...],
    ) -> None:
        self.document = document
        self.index: RuleIndex[RuleList] | None = RuleIndex(rules) if rules else None
        self.direction = direction
        self.where = where
        self.location = location

    def check(self, value: JSON, schema: Any, pointer: str) -> list[CompatProblem]:
        """Every problem of `value` (the pact's example) against `schema` (at `pointer`)."""
        out: list[CompatProblem] = []
        self._node(value, schema, pointer, (), False, out)
        return out

    def _location(self, path: tuple[str, ...]) -> tuple[str, ...]:
        # array indexes become `*`, as the places of changes between specs are written
        return (*self.location, "$", *("*" if p.isdigit() else p for p in path))

    def _problem(
        self, path: tuple[str, ...], spec_says: str, pact_has: str, pointer: str
    ) -> CompatProblem:
        return CompatProblem(
            f"{self.where} {format_path(path)}", spec_says, pact_has, pointer, self._location(path)
        )

    def _rules(self, path: tuple[str, ...]) -> RuleList | None:
        if self.index is None:
            return None
        found, here = self.index.best(path)
        if found is None or here:
            return found
        kept = tuple(
            MatchingRule("type") if m.kind == "values" else m
            for m in found.matchers
            if m.kind not in _COLLECTION_ONLY
        )
        return RuleList(kept, found.combine) if kept else None

    def _node(
        self,
        value: JSON,
        raw_schema: Any,
        pointer: str,
        path: tuple[str, ...],
        loose: bool,
        out: list[CompatProblem],
    ) -> None:
        schema, pointer = flatten(raw_schema, self.document, pointer)
        if not schema:
            return
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                self._alternatives(value, schema, key, pointer, path, loose, out)
                return
        rules = self._rules(path)
        if rules is not None and rules.matchers:
            if isinstance(value, dict | list) and any(
                m.kind in _TYPE_LIKE or m.kind in _COLLECTION_ONLY for m in rules.matchers
            ):
                loose = True
                self._collection_bounds(value, schema, rules, pointer, path, out)
            elif not isinstance(value, dict | list):
                self._leaf_rules(value, schema, rules, pointer, path, out)
                return
        kinds = schema_types(schema)
        kind = value_kind(value)
        if value is None and (schema.get("nullable") or "null" in kinds):
            return
        if not kind_allowed(kind, kinds) and not (kind == "number" and _whole(value, kinds)):
            out.append(self._problem(path, " or ".join(kinds), f"{kind} {_show(value)}", pointer))
            return
        if isinstance(value, dict):
            self._object(value, schema, pointer, path, loose, out)
        elif isinstance(value, list):
            items = schema.get("items")
            if items is not None:
                for index, item in enumerate(value):
                    self._node(item, items, f"{pointer}/items", (*path, str(index)), loose, out)
        elif not loose:
            for violation in validate_schema(schema, value, self.document.data):
                says = violation.split(": ", 1)[-1]
                out.append(self._problem(path, says, _show(value), pointer))

    def _alternatives(
        self,
        value: JSON,
        schema: dict[str, Any],
        key: str,
        pointer: str,
        path: tuple[str, ...],
        loose: bool,
        out: list[CompatProblem],
    ) -> None:
        tries: list[list[CompatProblem]] = []
        for index, member in enumerate(schema[key]):
            found: list[CompatProblem] = []
            self._node(value, member, f"{pointer}/{key}/{index}", path, loose, found)
            if not found:
                return
            tries.append(found)
        best = min(tries, key=len)
        here = self._location(path)
        if len(tries) > 1 and all(p.location == here for p in best):
            # no member fits even the value's type: one problem naming them reads better
            kinds = ", ".join(sorted({k for m in schema[key] for k in _member_kinds(m, self)}))
            out.append(
                self._problem(
                    path,
                    f"one of the {key} alternatives ({kinds or 'schemas'})",
                    _show(value),
                    pointer,
                )
            )
            return
        out.extend(best)

    def _collection_bounds(
        self,
        value: dict[str, Any] | list[Any],
        schema: dict[str, Any],
        rules: RuleList,
        pointer: str,
        path: tuple[str, ...],
        out: list[CompatProblem],
    ) -> None:
        if not isinstance(value, list):
            return
        low = max((int(m.get("min", 0)) for m in rules.matchers), default=0)
        most = schema.get("maxItems")
        if isinstance(most, int) and low > most:
            out.append(
                self._problem(
                    path, f"at most {most} items", f"an array of at least {low} items", pointer
                )
            )

    def _object(
        self,
        value: dict[str, Any],
        schema: dict[str, Any],
        pointer: str,
        path: tuple[str, ...],
        loose: bool,
        out: list[CompatProblem],
    ) -> None:
        properties: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        rules = self._rules(path)
        keyed = rules is not None and any(
            m.kind in ("values", "eachKey", "eachValue") for m in rules.matchers
        )
        for name, item in value.items():
            child = (*path, name)
            if name in properties:
                self._node(
                    item,
                    properties[name],
                    f"{pointer}/properties/{_escape(name)}",
                    child,
                    loose,
                    out,
                )
            elif isinstance(extra, dict):
                self._node(item, extra, f"{pointer}/additionalProperties", child, loose, out)
            elif extra is False or (
                # a consumer reading a property the spec never promises relies on luck; one
                # sending an extra property is ignored by the provider, as JSON Schema allows
                self.direction == "response" and properties and extra is not True and not keyed
            ):
                out.append(self._problem(child, "no such property", f"property {name!r}", pointer))
        if self.direction == "request":
            for name in schema.get("required", []):
                if name not in value:
                    out.append(
                        self._problem(
                            (*path, name), "a required property", "nothing", f"{pointer}/required"
                        )
                    )

    def _leaf_rules(
        self,
        value: JSON,
        schema: dict[str, Any],
        rules: RuleList,
        pointer: str,
        path: tuple[str, ...],
        out: list[CompatProblem],
    ) -> None:
        found = [self._leaf_rule(value, schema, rule, pointer, path) for rule in rules.matchers]
        if rules.combine == "OR":
            if any(not f for f in found):
                return
            out.extend(found[0])
            return
        for problems in found:
            out.extend(problems)

    def _leaf_rule(
        self,
        value: JSON,
        schema: dict[str, Any],
        rule: MatchingRule,
        pointer: str,
        path: tuple[str, ...],
    ) -> list[CompatProblem]:
        kinds = schema_types(schema)
        nullable = bool(schema.get("nullable")) or "null" in kinds
        kind = rule.kind
        if kind in ("equality", "regex"):
            if value is None and nullable:
                return []
            says = validate_schema(schema, value, self.document.data)
            return [self._problem(path, s.split(": ", 1)[-1], _show(value), pointer) for s in says]
        wanted = {
            "integer": "integer",
            "decimal": "number",
            "number": "number",
            "boolean": "boolean",
            "null": "null",
        }.get(kind)
        if kind in _TYPE_LIKE:
            wanted = value_kind(value)
        elif kind in _STRING_LIKE or kind == "timestamp":
            wanted = "string"
        if wanted is None:
            return []
        if wanted == "null":
            ok = nullable or not kinds
        elif kind == "number":
            ok = kind_allowed("number", kinds) or "integer" in kinds
        else:
            ok = kind_allowed(wanted, kinds)
        if not ok:
            label = f"any {wanted}" if kind != "decimal" else "any decimal number"
            return [self._problem(path, " or ".join(kinds), f"{label} ({kind} matcher)", pointer)]
        fmt = schema.get("format")
        expected_format = _DATE_FORMATS.get(kind)
        if (
            expected_format
            and isinstance(fmt, str)
            and fmt in _DATE_FORMATS.values()
            and fmt != expected_format
        ):
            return [self._problem(path, f"format {fmt}", f"a {kind} matcher", pointer)]
        return []


def _whole(value: JSON, kinds: list[str]) -> bool:
    return isinstance(value, float) and value.is_integer() and "integer" in kinds


def _member_kinds(member: Any, check: BodyCheck) -> list[str]:
    schema, _ = flatten(member, check.document, "")
    return schema_types(schema) or (["object"] if "properties" in schema else [])


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
