"""The changes between two versions of one JSON schema, judged by who reads it.

In a request the provider reads what consumers send (narrowing breaks them); in a response the consumers read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interlock.contracts.compat_body import Direction, flatten
from interlock.contracts.openapi_doc import OpenApiDocument
from interlock.contracts.openapi_schema import schema_types

MAX_DEPTH = 24
_MAXIMA = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_MINIMA = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


class ChangeSeverity(StrEnum):
    """How a change lands on the consumers of the API."""

    breaking = "breaking"
    possibly_breaking = "possibly breaking"
    compatible = "compatible"


@dataclass
class _Found:
    kind: str
    severity: ChangeSeverity
    text: str
    old_pointer: str | None
    new_pointer: str | None
    places: list[str] = field(default_factory=list)
    locations: list[tuple[str, ...]] = field(default_factory=list)


class ChangeLog:
    """The changes found so far; one change met through several operations is kept once."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str | None, str | None, str], _Found] = {}

    def add(
        self,
        kind: str,
        severity: ChangeSeverity,
        text: str,
        old_pointer: str | None,
        new_pointer: str | None,
        place: str,
        location: tuple[str, ...],
    ) -> None:
        """Record a change met at `place` (`GET /orders/{id} response 200 body $.x`).

        `location` is the same place as a key that compat problems are matched against.
        """
        key = (kind, old_pointer, new_pointer, text)
        entry = self.found.setdefault(key, _Found(kind, severity, text, old_pointer, new_pointer))
        if place not in entry.places:
            entry.places.append(place)
        if location not in entry.locations:
            entry.locations.append(location)


@dataclass(frozen=True)
class SchemaSide:
    """One version of a schema: its document, the schema, and the pointer it was reached at."""

    document: OpenApiDocument
    schema: Any
    pointer: str


def _unwrap(
    document: OpenApiDocument, schema: Any, pointer: str
) -> tuple[dict[str, Any], str, bool]:
    """Flatten, and see through `anyOf: [X, {type: null}]` (how 3.1 writes an optional X)."""
    flat, pointer = flatten(schema, document, pointer)
    for key in ("anyOf", "oneOf"):
        members = flat.get(key)
        if not isinstance(members, list):
            continue
        real = []
        nullable = False
        for index, member in enumerate(members):
            sub, sub_pointer = flatten(member, document, f"{pointer}/{key}/{index}")
            if schema_types(sub) == ["null"]:
                nullable = True
            else:
                real.append((sub, sub_pointer))
        if len(real) == 1:
            inner, inner_pointer, inner_null = _unwrap(document, real[0][0], real[0][1])
            return inner, inner_pointer, nullable or inner_null
    types = schema_types(flat)
    return flat, pointer, "null" in types or bool(flat.get("nullable"))


def _covers(wide: set[str], narrow: set[str]) -> bool:
    """Every value of the types `narrow` is one of `wide` (an empty set means any type)."""
    if not wide:
        return True
    if not narrow:
        return False
    return all(k in wide or (k == "integer" and "number" in wide) for k in narrow)


def _where(path: tuple[str, ...]) -> str:
    out = "$"
    for part in path:
        out += "[*]" if part == "*" else f".{part}"
    return out


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


class SchemaDiff:
    """Compares the two versions of the schemas met under one place of one operation."""

    def __init__(
        self,
        log: ChangeLog,
        direction: Direction,
        label: str,
        location: tuple[str, ...],
        as_text: bool = False,
    ) -> None:
        # parameters travel as text: a string parameter takes whatever an integer one took
        self.as_text = as_text
        self.log = log
        self.direction = direction
        self.label = label
        self.location = location
        self._stack: set[tuple[str, str]] = set()

    def _add(
        self,
        kind: str,
        severity: ChangeSeverity,
        text: str,
        path: tuple[str, ...],
        old_pointer: str | None,
        new_pointer: str | None,
    ) -> None:
        self.log.add(
            kind,
            severity,
            text,
            old_pointer,
            new_pointer,
            f"{self.label} {_where(path)}",
            (*self.location, "$", *path),
        )

    def compare(self, old: SchemaSide, new: SchemaSide, path: tuple[str, ...] = ()) -> None:
        """Record every change between the two schemas, and those below them."""
        o, op, o_null = _unwrap(old.document, old.schema, old.pointer)
        n, np, n_null = _unwrap(new.document, new.schema, new.pointer)
        if (op, np) in self._stack or len(path) > MAX_DEPTH:
            return
        self._stack.add((op, np))
        try:
            self._compare(old, new, o, op, o_null, n, np, n_null, path)
        finally:
            self._stack.discard((op, np))

    def _compare(
        self,
        old: SchemaSide,
        new: SchemaSide,
        o: dict[str, Any],
        op: str,
        o_null: bool,
        n: dict[str, Any],
        np: str,
        n_null: bool,
        path: tuple[str, ...],
    ) -> None:
        request = self.direction == "request"
        if n_null and not o_null and not request:
            self._add(
                "response-made-nullable",
                ChangeSeverity.breaking,
                "may now be null",
                path,
                op,
                np,
            )
        if o_null and not n_null and request:
            self._add(
                "request-no-longer-nullable",
                ChangeSeverity.breaking,
                "may no longer be null",
                path,
                op,
                np,
            )
        if not self._types(o, op, n, np, path):
            return
        self._enum(o, op, n, np, path)
        self._bounds(o, op, n, np, path)
        for key in ("pattern", "format"):
            if o.get(key) != n.get(key) and n.get(key) is not None:
                self._add(
                    f"{key}-changed",
                    ChangeSeverity.possibly_breaking,
                    f"{key} changed from {o.get(key)!r} to {n.get(key)!r}",
                    path,
                    op,
                    np,
                )
        for key in ("anyOf", "oneOf"):
            ol, nl = o.get(key), n.get(key)
            if isinstance(ol, list) and isinstance(nl, list) and len(ol) == len(nl):
                for index, (a, b) in enumerate(zip(ol, nl, strict=True)):
                    self.compare(
                        SchemaSide(old.document, a, f"{op}/{key}/{index}"),
                        SchemaSide(new.document, b, f"{np}/{key}/{index}"),
                        path,
                    )
            elif ol != nl and (ol or nl):
                self._add(
                    "alternatives-changed",
                    ChangeSeverity.possibly_breaking,
                    f"the {key} alternatives changed",
                    path,
                    op,
                    np,
                )
        self._properties(old, new, o, op, n, np, path)
        if "items" in o and "items" in n:
            self.compare(
                SchemaSide(old.document, o["items"], f"{op}/items"),
                SchemaSide(new.document, n["items"], f"{np}/items"),
                (*path, "*"),
            )
        oa, na = o.get("additionalProperties"), n.get("additionalProperties")
        if isinstance(oa, dict) and isinstance(na, dict):
            self.compare(
                SchemaSide(old.document, oa, f"{op}/additionalProperties"),
                SchemaSide(new.document, na, f"{np}/additionalProperties"),
                (*path, "*"),
            )
        elif request and na is False and oa is not False:
            self._add(
                "request-additional-properties-forbidden",
                ChangeSeverity.possibly_breaking,
                "properties not listed are no longer allowed",
                path,
                op,
                np,
            )

    def _types(
        self, o: dict[str, Any], op: str, n: dict[str, Any], np: str, path: tuple[str, ...]
    ) -> bool:
        """Record a type change; False when the types share nothing (no point looking deeper)."""
        ot = set(schema_types(o)) - {"null"}
        nt = set(schema_types(n)) - {"null"}
        if ot == nt:
            return True
        shown = f"type changed from {' or '.join(sorted(ot)) or 'any'} to {' or '.join(sorted(nt)) or 'any'}"
        if self.direction == "request":
            wider = nt | {"integer", "number", "boolean"} if self.as_text and "string" in nt else nt
            if _covers(wider, ot):
                self._add("request-type-widened", ChangeSeverity.compatible, shown, path, op, np)
                return True
            kind = "request-type-narrowed" if _covers(ot, nt) else "request-type-changed"
        else:
            if _covers(ot, nt):
                self._add("response-type-narrowed", ChangeSeverity.compatible, shown, path, op, np)
                return True
            kind = "response-type-widened" if _covers(nt, ot) else "response-type-changed"
        self._add(kind, ChangeSeverity.breaking, shown, path, op, np)
        return bool(ot & nt) or _covers(ot, nt) or _covers(nt, ot)

    def _enum(
        self, o: dict[str, Any], op: str, n: dict[str, Any], np: str, path: tuple[str, ...]
    ) -> None:
        oe, ne = o.get("enum"), n.get("enum")
        if oe == ne:
            return
        request = self.direction == "request"
        if not isinstance(ne, list):
            if isinstance(oe, list):
                severity = (
                    ChangeSeverity.compatible if request else ChangeSeverity.possibly_breaking
                )
                self._add(
                    "enum-removed", severity, "no longer limited to a list of values", path, op, np
                )
            return
        if not isinstance(oe, list):
            severity = ChangeSeverity.breaking if request else ChangeSeverity.compatible
            self._add("enum-added", severity, f"now limited to the values {ne!r}", path, op, np)
            return
        removed = [v for v in oe if v not in ne]
        added = [v for v in ne if v not in oe]
        if removed:
            severity = ChangeSeverity.breaking if request else ChangeSeverity.compatible
            self._add(
                "enum-value-removed", severity, f"enum value(s) {removed!r} removed", path, op, np
            )
        if added:
            # a consumer that switches over the values it knows can fail on a new one
            severity = ChangeSeverity.compatible if request else ChangeSeverity.possibly_breaking
            self._add("enum-value-added", severity, f"enum value(s) {added!r} added", path, op, np)

    def _bounds(
        self, o: dict[str, Any], op: str, n: dict[str, Any], np: str, path: tuple[str, ...]
    ) -> None:
        request = self.direction == "request"
        for key in (*_MAXIMA, *_MINIMA):
            ov, nv = o.get(key), n.get(key)
            if ov == nv or isinstance(ov, bool) or isinstance(nv, bool):
                continue
            if nv is None:
                narrowed = False
            elif ov is None:
                narrowed = True
            else:
                narrowed = nv < ov if key in _MAXIMA else nv > ov
            text = f"{key} changed from {ov if ov is not None else 'none'} to {nv if nv is not None else 'none'}"
            if narrowed:
                severity = ChangeSeverity.breaking if request else ChangeSeverity.compatible
                kind = f"{self.direction}-{'max' if key in _MAXIMA else 'min'}-narrowed"
            else:
                severity = (
                    ChangeSeverity.compatible if request else ChangeSeverity.possibly_breaking
                )
                kind = f"{self.direction}-{'max' if key in _MAXIMA else 'min'}-widened"
            self._add(kind, severity, text, path, op, np)

    def _properties(
        self,
        old: SchemaSide,
        new: SchemaSide,
        o: dict[str, Any],
        op: str,
        n: dict[str, Any],
        np: str,
        path: tuple[str, ...],
    ) -> None:
        op_props: dict[str, Any] = o.get("properties") or {}
        np_props: dict[str, Any] = n.get("properties") or {}
        o_req, n_req = set(o.get("required") or []), set(n.get("required") or [])
        request = self.direction == "request"
        for name in op_props:
            old_at = f"{op}/properties/{_escape(name)}"
            here = (*path, name)
            if name not in np_props:
                if request:
                    severity = (
                        ChangeSeverity.breaking
                        if n.get("additionalProperties") is False
                        else ChangeSeverity.possibly_breaking
                    )
                    self._add(
                        "request-property-removed", severity, "property removed", here, old_at, np
                    )
                else:
                    self._add(
                        "response-property-removed",
                        ChangeSeverity.breaking,
                        "property removed",
                        here,
                        old_at,
                        np,
                    )
                continue
            new_at = f"{np}/properties/{_escape(name)}"
            if request and name in n_req and name not in o_req:
                self._add(
                    "request-property-made-required",
                    ChangeSeverity.breaking,
                    "property is now required",
                    here,
                    old_at,
                    new_at,
                )
            if not request and name in o_req and name not in n_req:
                self._add(
                    "response-property-made-optional",
                    ChangeSeverity.possibly_breaking,
                    "property is no longer always present",
                    here,
                    old_at,
                    new_at,
                )
            self.compare(
                SchemaSide(old.document, op_props[name], old_at),
                SchemaSide(new.document, np_props[name], new_at),
                here,
            )
        for name in np_props:
            if name in op_props:
                continue
            new_at = f"{np}/properties/{_escape(name)}"
            if request and name in n_req:
                self._add(
                    "request-property-added-required",
                    ChangeSeverity.breaking,
                    "new required property",
                    (*path, name),
                    op,
                    new_at,
                )
            else:
                self._add(
                    f"{self.direction}-property-added",
                    ChangeSeverity.compatible,
                    "new optional property" if request else "new property",
                    (*path, name),
                    op,
                    new_at,
                )
