"""Comparing bodies by their content type: JSON, XML, form-urlencoded, plain text and bytes.

Also builds a `Body` from raw bytes as received over HTTP, and sniffs content types.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from interlock.contracts.json_body import JsonComparator
from interlock.contracts.matchers import check_rules, show
from interlock.contracts.model import JSON, Body, Mismatch, RuleList
from interlock.contracts.pact_reader import parse_query_string
from interlock.contracts.xml_body import XmlComparator

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def mime_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json` (lower case, '' when None)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def body_kind(content_type: str | None, content: JSON) -> str:
    """How to compare a body: json, xml, form, text or binary."""
    mime = mime_type(content_type)
    if mime.endswith("xml"):
        return "xml"
    if mime == "application/x-www-form-urlencoded":
        return "form"
    if "json" in mime:
        return "json"
    if mime.startswith("text/"):
        return "text"
    if not mime:
        if isinstance(content, str) and content.lstrip().startswith("<?xml"):
            return "xml"
        return "json" if not isinstance(content, bytes) else "binary"
    return "binary"


def body_bytes(body: Body) -> bytes:
    """The body as bytes on the wire."""
    content = body.content
    if content is None:
        return b""
    if isinstance(content, bytes):
        return content
    if (
        isinstance(body.encoded, str)
        and body.encoded.lower() == "base64"
        and isinstance(content, str)
    ):
        return base64.b64decode(content)
    if isinstance(content, str) and body_kind(body.content_type, content) != "json":
        return content.encode("utf-8")
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def body_value(body: Body) -> JSON:
    """The body's content ready to compare: a JSON value, text, or bytes."""
    content = body.content
    kind = body_kind(body.content_type, content)
    if (
        isinstance(body.encoded, str)
        and body.encoded.lower() == "base64"
        and isinstance(content, str)
    ):
        content = base64.b64decode(content)
    if isinstance(content, bytes) and kind != "binary":
        content = content.decode("utf-8", errors="replace")
        if kind == "json":
            try:
                return json.loads(content)
            except ValueError:
                return content
    if (
        kind == "json"
        and isinstance(content, str)
        and isinstance(body.encoded, str)
        and body.encoded.lower() == "json"
    ):
        return json.loads(content)
    return content


def body_from_bytes(raw: bytes, content_type: str | None) -> Body:
    """A `Body` for bytes received over HTTP (JSON parsed, text decoded)."""
    if not raw:
        return Body(present=False, content_type=content_type)
    kind = body_kind(content_type, raw)
    if kind == "json" or (kind == "binary" and not content_type):
        try:
            return Body(True, json.loads(raw), content_type or "application/json")
        except ValueError:
            pass
    if kind in ("xml", "form", "text") or (kind == "json" and raw):
        return Body(True, raw.decode("utf-8", errors="replace"), content_type)
    return Body(True, raw, content_type)


def sniff_content_type(data: bytes) -> str:
    """A best guess of the content type of bytes, from magic numbers and text shape."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    stripped = text.lstrip()
    if stripped.startswith("<?xml") or (
        stripped.startswith("<") and not stripped.lower().startswith("<!doctype html")
    ):
        return "text/html" if stripped.lower().startswith("<html") else "application/xml"
    if stripped.lower().startswith("<!doctype html"):
        return "text/html"
    try:
        json.loads(text)
    except ValueError:
        return "text/plain"
    return "application/json"


class BodyComparator:
    """Compares actual bodies with one expected body; compile once, compare many times."""

    def __init__(
        self,
        expected: Body,
        rules: Mapping[str, RuleList],
        allow_unexpected_keys: bool,
        category: str = "body",
    ) -> None:
        self.expected = expected
        self.rules = rules
        self.allow_unexpected = allow_unexpected_keys
        self.category = category
        self.kind = body_kind(expected.content_type, expected.content)
        self.value = body_value(expected) if expected.present else None
        root = rules.get("$")
        self.content_type_rule = (
            next((m for m in root.matchers if m.kind == "contentType"), None) if root else None
        )
        self._json: JsonComparator | None = None
        if expected.present and self.kind == "json" and not expected.is_empty:
            self._json = JsonComparator(self.value, rules, allow_unexpected_keys, category)

    def compare(self, actual: Body) -> list[Mismatch]:
        """Every mismatch between the expected body and `actual`."""
        expected = self.expected
        if not expected.present:
            return []
        actual_empty = actual.is_empty
        if expected.is_empty:
            if actual_empty:
                return []
            return [
                Mismatch(
                    self.category,
                    "$",
                    "no body",
                    show(_preview(actual)),
                    f"expected no body, found {show(_preview(actual))}",
                )
            ]
        if actual_empty:
            return [
                Mismatch(
                    self.category,
                    "$",
                    show(_preview(expected)),
                    "no body",
                    "expected a body, but none came",
                )
            ]
        if self.content_type_rule is not None:
            wanted = mime_type(str(self.content_type_rule.get("value")))
            found = sniff_content_type(body_bytes(actual))
            if found != wanted:
                return [
                    Mismatch(
                        self.category,
                        "$",
                        wanted,
                        found,
                        f"expected content of type {wanted}, found {found}",
                    )
                ]
            return []
        actual_value = body_value(actual)
        if self._json is not None:
            if body_kind(actual.content_type, actual.content) not in (
                "json",
                "binary",
            ) and isinstance(actual_value, str):
                try:
                    actual_value = json.loads(actual_value)
                except ValueError:
                    return [
                        Mismatch(
                            self.category,
                            "$",
                            "a JSON body",
                            show(actual_value),
                            "expected a JSON body, found text that is not JSON",
                        )
                    ]
            return self._json.compare(actual_value)
        if self.kind == "xml":
            return XmlComparator(self.rules, self.allow_unexpected).compare(
                _as_text(self.value), _as_text(actual_value)
            )
        if self.kind == "form":
            return self._form(_as_text(self.value), _as_text(actual_value))
        return self._whole(self.value, actual_value)

    def _whole(self, want: JSON, got: JSON) -> list[Mismatch]:
        rules = self.rules.get("$")
        if isinstance(want, bytes) or isinstance(got, bytes):
            want_b = want if isinstance(want, bytes) else str(want).encode()
            got_b = got if isinstance(got, bytes) else str(got).encode()
            if want_b == got_b:
                return []
            return [
                Mismatch(
                    self.category,
                    "$",
                    f"{len(want_b)} bytes",
                    f"{len(got_b)} bytes",
                    "the body's bytes differ from the contract's",
                )
            ]
        if rules is not None and rules.matchers:
            problem = check_rules(rules, want, got)
            if problem is None:
                return []
            return [
                Mismatch(self.category, "$", problem, show(got), f"{problem}, found {show(got)}")
            ]
        if want == got:
            return []
        return [
            Mismatch(
                self.category,
                "$",
                show(want),
                show(got),
                f"expected {show(want)}, found {show(got)}",
            )
        ]

    def _form(self, want: str, got: str) -> list[Mismatch]:
        expected = {k: v for k, v in parse_query_string(want).items()}
        actual = parse_query_string(got)
        return compare_multimap(
            self.category, expected, actual, self.rules, not self.allow_unexpected, form=True
        )


def _as_text(value: JSON) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else json.dumps(value)


def _preview(body: Body) -> JSON:
    return body.content if not isinstance(body.content, bytes) else f"{len(body.content)} bytes"


def compare_multimap(
    category: str,
    expected: Mapping[str, list[str]],
    actual: Mapping[str, list[str]],
    rules: Mapping[str, RuleList],
    strict: bool,
    form: bool = False,
) -> list[Mismatch]:
    """Query parameters or form fields: each name's values in order, under rules by name."""
    out: list[Mismatch] = []
    for name, values in expected.items():
        rule = rules.get(f"$.{name}" if form else name) or (
            rules.get(f"$['{name}']") if form else None
        )
        got = actual.get(name)
        if got is None:
            out.append(
                Mismatch(
                    category,
                    name,
                    show(values),
                    "",
                    f"expected {name}={show(values)}, but it is missing",
                )
            )
            continue
        if rule is not None and rule.matchers:
            template = values[0] if values else ""
            for value in got:
                problem = check_rules(rule, template, value)
                if problem is not None:
                    out.append(
                        Mismatch(
                            category, name, problem, show(value), f"{problem}, found {show(value)}"
                        )
                    )
            continue
        if list(values) != list(got):
            out.append(
                Mismatch(
                    category,
                    name,
                    show(values),
                    show(got),
                    f"expected {show(values)}, found {show(got)}",
                )
            )
    if strict:
        extra = [n for n in actual if n not in expected]
        if extra:
            names = ", ".join(extra)
            out.append(
                Mismatch(category, names, "nothing", names, f"unexpected parameter(s) {names}")
            )
    return out
