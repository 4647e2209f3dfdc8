"""Reading Pact files (specification v1 to v4) into the contract model.

Every structural problem is a `SourceError` naming the file and the JSON path of the problem.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from interlock.contracts.matchers import check_rule_settings
from interlock.contracts.model import (
    JSON,
    Body,
    Generators,
    HttpRequest,
    HttpResponse,
    Interaction,
    InteractionKind,
    MatchingRule,
    MatchingRules,
    Message,
    Pact,
    ProviderState,
    RuleList,
)
from interlock.contracts.paths import PathSyntaxError, parse_path
from interlock.errors import Position, SourceError

PATH_CATEGORIES = ("body", "content")
V2_CATEGORY_PREFIXES = (
    ("$.body", "body"),
    ("$.headers.", "header"),
    ("$.header.", "header"),
    ("$.query.", "query"),
    ("$.path", "path"),
    ("$.status", "status"),
)


class _Reader:
    """Walks one pact document, knowing the file for error messages."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, expected: str) -> SourceError:
        return SourceError(self.file, Position(path=path), expected)

    def obj(self, value: JSON, path: str) -> dict[str, JSON]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {_kind(value)}")
        return value

    def string(self, value: JSON, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, found {_kind(value)}")
        return value

    def array(self, value: JSON, path: str) -> list[JSON]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected an array, found {_kind(value)}")
        return value


def _kind(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _rest(data: Mapping[str, JSON], known: tuple[str, ...]) -> dict[str, JSON]:
    return {k: v for k, v in data.items() if k not in known}


def load_pact(path: Path) -> Pact:
    """Read a pact file; a malformed one raises `SourceError` with the file and JSON path."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(str(path), None, f"cannot read the pact file: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            str(path), Position(exc.lineno, exc.colno), f"not valid JSON: {exc.msg}"
        ) from exc
    return parse_pact(data, str(path))


def spec_version_of(data: Mapping[str, JSON]) -> str:
    """The specification version a pact document declares (2.0.0 when it says nothing)."""
    meta = data.get("metadata")
    if isinstance(meta, dict):
        for key in ("pactSpecification", "pact-specification"):
            entry = meta.get(key)
            if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                return str(entry["version"])
        if isinstance(meta.get("pactSpecificationVersion"), str):
            return str(meta["pactSpecificationVersion"])
    interactions = data.get("interactions")
    if isinstance(interactions, list) and any(
        isinstance(i, dict) and "type" in i for i in interactions
    ):
        return "4.0"
    if "messages" in data:
        return "3.0.0"
    return "2.0.0"


def parse_pact(data: JSON, file: str) -> Pact:
    """Build a `Pact` from a decoded pact document."""
    r = _Reader(file)
    doc = r.obj(data, "$")
    version = spec_version_of(doc)
    major = int(version.split(".")[0]) if version[:1].isdigit() else 2
    consumer = r.obj(doc.get("consumer"), "$.consumer")
    provider = r.obj(doc.get("provider"), "$.provider")
    interactions: list[Interaction] = []
    for i, item in enumerate(r.array(doc.get("interactions", []), "$.interactions")):
        interactions.append(_interaction(r, item, f"$.interactions[{i}]", major))
    for i, item in enumerate(r.array(doc.get("messages", []), "$.messages")):
        interactions.append(_v3_message(r, item, f"$.messages[{i}]"))
    metadata = doc.get("metadata", {})
    return Pact(
        consumer=r.string(consumer.get("name"), "$.consumer.name"),
        provider=r.string(provider.get("name"), "$.provider.name"),
        spec_version=version,
        interactions=tuple(interactions),
        metadata=r.obj(metadata, "$.metadata"),
        consumer_extra=_rest(consumer, ("name",)),
        provider_extra=_rest(provider, ("name",)),
        extra=_rest(doc, ("consumer", "provider", "interactions", "messages", "metadata")),
        file_had_messages="messages" in doc,
    )


def _interaction(r: _Reader, item: JSON, path: str, major: int) -> Interaction:
    data = r.obj(item, path)
    description = r.string(data.get("description"), f"{path}.description")
    states = _states(r, data, path)
    kind_text = data.get("type", InteractionKind.http.value)
    try:
        kind = InteractionKind(r.string(kind_text, f"{path}.type"))
    except ValueError:
        raise r.fail(
            f"{path}.type",
            "expected Synchronous/HTTP, Asynchronous/Messages or Synchronous/Messages",
        ) from None
    common = (
        "description",
        "providerState",
        "providerStates",
        "type",
        "pending",
        "comments",
        "key",
    )
    pending = data.get("pending", False)
    if not isinstance(pending, bool):
        raise r.fail(f"{path}.pending", f"expected true or false, found {_kind(pending)}")
    comments = r.obj(data.get("comments", {}), f"{path}.comments")
    key = data.get("key")
    written = _written(data)
    if kind is InteractionKind.http:
        request = parse_request(data.get("request"), major, r.file, f"{path}.request")
        response = parse_response(data.get("response"), major, r.file, f"{path}.response")
        extra = _rest(data, (*common, "request", "response"))
        return Interaction(
            description,
            kind,
            states,
            request,
            response,
            None,
            pending,
            comments,
            key,
            extra,
            written,
        )
    message = parse_message(data, major, r.file, path)
    extra = _rest(data, (*common, "contents", "metadata", "matchingRules", "generators"))
    return Interaction(
        description, kind, states, None, None, message, pending, comments, key, extra, written
    )


def _written(data: Mapping[str, JSON]) -> frozenset[str]:
    return frozenset(k for k in ("providerStates", "pending", "metadata", "comments") if k in data)


def _v3_message(r: _Reader, item: JSON, path: str) -> Interaction:
    data = r.obj(item, path)
    description = r.string(data.get("description"), f"{path}.description")
    message = parse_message(data, 3, r.file, path)
    extra = _rest(
        data,
        (
            "description",
            "providerState",
            "providerStates",
            "contents",
            "metadata",
            "matchingRules",
            "generators",
        ),
    )
    states = _states(r, data, path)
    return Interaction(
        description,
        InteractionKind.message,
        states,
        message=message,
        extra=extra,
        written_keys=_written(data),
    )


def _states(r: _Reader, data: Mapping[str, JSON], path: str) -> tuple[ProviderState, ...]:
    if "providerState" in data and data["providerState"] is not None:
        return (ProviderState(r.string(data["providerState"], f"{path}.providerState")),)
    states = []
    for i, raw in enumerate(r.array(data.get("providerStates", []), f"{path}.providerStates")):
        where = f"{path}.providerStates[{i}]"
        state = r.obj(raw, where)
        params = r.obj(state.get("params", {}), f"{where}.params")
        name = r.string(state.get("name"), f"{where}.name")
        states.append(ProviderState(name, params, _rest(state, ("name", "params"))))
    return tuple(states)


def parse_request(value: JSON, major: int, file: str, path: str) -> HttpRequest:
    """Build an `HttpRequest` from its JSON form in a pact of version `major`."""
    r = _Reader(file)
    data = r.obj(value, path)
    method = r.string(data.get("method", "GET"), f"{path}.method")
    req_path = r.string(data.get("path", "/"), f"{path}.path")
    query, query_text = _query(r, data.get("query"), f"{path}.query")
    headers = _headers(r, data.get("headers"), f"{path}.headers")
    body = _body(r, data, "body", headers, major, f"{path}.body")
    rules = parse_matching_rules(data.get("matchingRules"), file, f"{path}.matchingRules")
    generators = _generators(r, data.get("generators"), f"{path}.generators")
    known = ("method", "path", "query", "headers", "body", "matchingRules", "generators")
    return HttpRequest(
        method, req_path, query, query_text, headers, body, rules, generators, _rest(data, known)
    )


def parse_response(value: JSON, major: int, file: str, path: str) -> HttpResponse:
    """Build an `HttpResponse` from its JSON form in a pact of version `major`."""
    r = _Reader(file)
    data = r.obj(value, path)
    status = data.get("status", 200) if "status" in data else None
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise r.fail(f"{path}.status", f"expected an HTTP status code, found {_kind(status)}")
    headers = _headers(r, data.get("headers"), f"{path}.headers")
    body = _body(r, data, "body", headers, major, f"{path}.body")
    rules = parse_matching_rules(data.get("matchingRules"), file, f"{path}.matchingRules")
    generators = _generators(r, data.get("generators"), f"{path}.generators")
    known = ("status", "headers", "body", "matchingRules", "generators")
    return HttpResponse(status, headers, body, rules, generators, _rest(data, known))


def parse_message(value: JSON, major: int, file: str, path: str) -> Message:
    """Build a `Message` from its JSON form (`contents`, `metadata`, rules, generators)."""
    r = _Reader(file)
    data = r.obj(value, path)
    metadata = r.obj(data.get("metadata", {}) or {}, f"{path}.metadata")
    ct = metadata.get("contentType") or metadata.get("content-type") or metadata.get("Content-Type")
    headers = {"Content-Type": ct} if isinstance(ct, str) else None
    contents = _body(r, data, "contents", headers, major, f"{path}.contents")
    rules = parse_matching_rules(data.get("matchingRules"), file, f"{path}.matchingRules")
    generators = _generators(r, data.get("generators"), f"{path}.generators")
    return Message(contents, metadata, rules, generators, {})


def _query(r: _Reader, value: JSON, path: str) -> tuple[dict[str, list[str]] | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        return parse_query_string(value), value
    data = r.obj(value, path)
    query: dict[str, list[str]] = {}
    for name, values in data.items():
        if isinstance(values, str):
            query[name] = [values]
            continue
        items = r.array(values, f"{path}.{name}")
        query[name] = [r.string(v, f"{path}.{name}[{i}]") for i, v in enumerate(items)]
    return query, None


def parse_query_string(text: str) -> dict[str, list[str]]:
    """`a=1&b=2&a=3` -> `{"a": ["1", "3"], "b": ["2"]}`, percent-decoded, empty parts skipped."""
    query: dict[str, list[str]] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, val = part.partition("=")
        query.setdefault(unquote_plus(name), []).append(unquote_plus(val))
    return query


def _headers(r: _Reader, value: JSON, path: str) -> dict[str, str | list[str]] | None:
    if value is None:
        return None
    data = r.obj(value, path)
    headers: dict[str, str | list[str]] = {}
    for name, val in data.items():
        if isinstance(val, list):
            headers[name] = [r.string(v, f"{path}['{name}'][{i}]") for i, v in enumerate(val)]
        else:
            headers[name] = r.string(val, f"{path}['{name}']")
    return headers


def header_value(headers: Mapping[str, str | list[str]] | None, name: str) -> str | None:
    """The value of a header, names compared without case; list values joined by commas."""
    if not headers:
        return None
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return ", ".join(val) if isinstance(val, list) else val
    return None


def _body(
    r: _Reader,
    data: Mapping[str, JSON],
    key: str,
    headers: Mapping[str, str | list[str]] | None,
    major: int,
    path: str,
) -> Body:
    if key not in data:
        return Body(content_type=header_value(headers, "Content-Type"))
    raw = data[key]
    header_ct = header_value(headers, "Content-Type")
    if major >= 4 and isinstance(raw, dict) and ("content" in raw or "contentType" in raw):
        content_type = raw.get("contentType", header_ct)
        if content_type is not None:
            content_type = r.string(content_type, f"{path}.contentType")
        encoded = raw.get("encoded", False)
        if not isinstance(encoded, str | bool):
            raise r.fail(f"{path}.encoded", "expected false, true or an encoding name")
        content = raw.get("content")
        if isinstance(encoded, str) and encoded.lower() == "base64":
            try:
                base64.b64decode(r.string(content, f"{path}.content"), validate=True)
            except binascii.Error:
                raise r.fail(
                    f"{path}.content", "expected base64 text (encoded is base64)"
                ) from None
        return Body(
            present=True,
            content=raw.get("content"),
            content_type=content_type,
            encoded=encoded,
            v4_object=True,
            extra=_rest(raw, ("content", "contentType", "encoded")),
        )
    return Body(present=True, content=raw, content_type=header_ct)


def parse_matching_rules(value: JSON, file: str, path: str) -> MatchingRules:
    """Matching rules in the v3/v4 form (by category) or v2's flat `$.body...` form."""
    if value is None:
        return {}
    r = _Reader(file)
    data = r.obj(value, path)
    if any(k.startswith("$") for k in data):
        return _v2_rules(r, data, path)
    rules: dict[str, dict[str, RuleList]] = {}
    for category, entries in data.items():
        where = f"{path}.{category}"
        entries = r.obj(entries, where)
        if "matchers" in entries:
            rules[category] = {"": _rule_list(r, entries, where)}
            continue
        rules[category] = {}
        for key, v in entries.items():
            if category in PATH_CATEGORIES:
                _check_path(r, key, f"{where}['{key}']")
            rules[category][key] = _rule_list(r, r.obj(v, f"{where}['{key}']"), f"{where}['{key}']")
    return rules


def _check_path(r: _Reader, key: str, where: str) -> None:
    try:
        parse_path(key if key.startswith("$") else "$." + key)
    except PathSyntaxError as exc:
        raise r.fail(where, str(exc)) from None


def _v2_rules(r: _Reader, data: Mapping[str, JSON], path: str) -> MatchingRules:
    rules: dict[str, dict[str, RuleList]] = {}
    for key, value in data.items():
        where = f"{path}['{key}']"
        for prefix, category in V2_CATEGORY_PREFIXES:
            if key.startswith(prefix):
                rest = key[len(prefix) :]
                if category == "body":
                    sub = "$" + rest
                    _check_path(r, sub, where)
                elif category in ("path", "status"):
                    sub = ""
                else:
                    sub = rest
                break
        else:
            raise r.fail(
                where, "expected a rule path starting $.body, $.headers, $.query or $.path"
            )
        matcher = _matcher(r, r.obj(value, where), where)
        rules.setdefault(category, {})[sub] = RuleList((matcher,))
    return rules


def _rule_list(r: _Reader, data: Mapping[str, JSON], path: str) -> RuleList:
    items = r.array(data.get("matchers"), f"{path}.matchers")
    combine = data.get("combine", "AND")
    if combine not in ("AND", "OR"):
        raise r.fail(f"{path}.combine", f"expected AND or OR, found {combine!r}")
    matchers = tuple(
        _matcher(r, r.obj(m, f"{path}.matchers[{i}]"), f"{path}.matchers[{i}]")
        for i, m in enumerate(items)
    )
    return RuleList(matchers, str(combine), "combine" in data)


def _matcher(r: _Reader, data: Mapping[str, JSON], path: str) -> MatchingRule:
    kind = data.get("match")
    if kind is None:
        if "min" in data or "max" in data:
            kind = "type"
        elif "regex" in data:
            kind = "regex"
        else:
            raise r.fail(f"{path}.match", "expected a matcher name (type, regex, integer...)")
    kind = r.string(kind, f"{path}.match")
    problem = check_rule_settings(kind, data)
    if problem:
        raise r.fail(path, problem)
    return MatchingRule(kind, dict(data))


def _generators(r: _Reader, value: JSON, path: str) -> Generators:
    if value is None:
        return {}
    data = r.obj(value, path)
    generators: dict[str, dict[str, dict[str, Any]]] = {}
    for category, entries in data.items():
        where = f"{path}.{category}"
        entries = r.obj(entries, where)
        if "type" in entries and isinstance(entries["type"], str):
            generators[category] = {"": entries}
            continue
        generators[category] = {}
        for key, gen in entries.items():
            if category in PATH_CATEGORIES:
                _check_path(r, key, f"{where}['{key}']")
            gen = r.obj(gen, f"{where}['{key}']")
            r.string(gen.get("type"), f"{where}['{key}'].type")
            generators[category][key] = gen
    return generators
