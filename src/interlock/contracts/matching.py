"""Matching actual requests, responses and messages against a contract's expectations.

Requests are strict (no unexpected body keys or query parameters); responses and messages are lenient.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from interlock.contracts.bodies import BodyComparator, compare_multimap, mime_type
from interlock.contracts.matchers import check_rules, show
from interlock.contracts.model import (
    JSON,
    HttpRequest,
    HttpResponse,
    MatchingRules,
    Message,
    Mismatch,
    RuleList,
)


def _category(rules: MatchingRules, *names: str) -> Mapping[str, RuleList]:
    for name in names:
        if name in rules:
            return rules[name]
    return {}


def _single(rules: Mapping[str, RuleList]) -> RuleList | None:
    """The one rule list of a keyless category (`path`, `status`)."""
    for rule_list in rules.values():
        return rule_list
    return None


def header_values(headers: Mapping[str, str | list[str]] | None) -> dict[str, str]:
    """Headers by lower-case name, list values joined with commas."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        text = ", ".join(value) if isinstance(value, list) else value
        key = name.lower()
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def _content_type_params(value: str) -> tuple[str, dict[str, str]]:
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            k = key.strip().lower()
            v = val.strip().strip('"')
            params[k] = v.lower() if k == "charset" else v
    return mime_type(main), params


def compare_headers(
    expected: Mapping[str, str | list[str]] | None,
    actual: Mapping[str, str | list[str]] | None,
    rules: Mapping[str, RuleList],
    category: str = "header",
) -> list[Mismatch]:
    """Every expected header must come with a matching value; extra headers are fine."""
    out: list[Mismatch] = []
    got = header_values(actual)
    lowered_rules = {k.lower(): v for k, v in rules.items()}
    for name, raw in (expected or {}).items():
        want = ", ".join(raw) if isinstance(raw, list) else raw
        value = got.get(name.lower())
        if value is None:
            out.append(
                Mismatch(
                    category,
                    name,
                    show(want),
                    "",
                    f"expected header {name}: {want}, but it is missing",
                )
            )
            continue
        rule = lowered_rules.get(name.lower())
        if rule is not None and rule.matchers:
            problem = check_rules(rule, want, value)
            if problem is not None:
                out.append(
                    Mismatch(
                        category, name, problem, show(value), f"{problem}, found {show(value)}"
                    )
                )
            continue
        if value == want:
            continue
        if name.lower() in ("content-type", "accept") and "/" in want and "," not in want:
            want_type, want_params = _content_type_params(want)
            got_type, got_params = _content_type_params(value)
            same = want_type == got_type and all(
                got_params.get(k) == v for k, v in want_params.items()
            )
        else:
            same = [v.strip() for v in want.split(",")] == [v.strip() for v in value.split(",")]
        if not same:
            out.append(
                Mismatch(
                    category,
                    name,
                    show(want),
                    show(value),
                    f"expected {show(want)}, found {show(value)}",
                )
            )
    return out


class RequestMatcher:
    """An expected request compiled once; `match` lists the mismatches of an actual one."""

    def __init__(self, expected: HttpRequest, spec_version: str = "4.0") -> None:
        self.expected = expected
        # v1.0 compares query strings as plain strings; later versions by parameter
        self.raw_query = spec_version in ("1", "1.0", "1.0.0")
        rules = expected.matching_rules
        self.body = BodyComparator(
            expected.body, _category(rules, "body"), allow_unexpected_keys=False
        )
        self.header_rules = _category(rules, "header", "headers")
        self.query_rules = _category(rules, "query")
        self.path_rule = _single(_category(rules, "path"))

    def match(self, actual: HttpRequest) -> list[Mismatch]:
        """Every mismatch, method first, then path, query, headers and body."""
        expected = self.expected
        out: list[Mismatch] = []
        if expected.method.upper() != actual.method.upper():
            out.append(
                Mismatch(
                    "method",
                    "",
                    expected.method,
                    actual.method,
                    f"expected method {expected.method.upper()}, found {actual.method.upper()}",
                )
            )
        if self.path_rule is not None and self.path_rule.matchers:
            problem = check_rules(self.path_rule, expected.path, actual.path)
            if problem is not None:
                out.append(
                    Mismatch(
                        "path", "", problem, actual.path, f"{problem}, found {show(actual.path)}"
                    )
                )
        elif expected.path != actual.path:
            out.append(
                Mismatch(
                    "path",
                    "",
                    expected.path,
                    actual.path,
                    f"expected path {show(expected.path)}, found {show(actual.path)}",
                )
            )
        if self.raw_query and expected.query_text is not None and actual.query_text is not None:
            if unquote(expected.query_text) != unquote(actual.query_text):
                out.append(
                    Mismatch(
                        "query",
                        "",
                        expected.query_text,
                        actual.query_text,
                        f"expected query {show(expected.query_text)}, found {show(actual.query_text)}",
                    )
                )
        else:
            out.extend(
                compare_multimap(
                    "query", expected.query or {}, actual.query or {}, self.query_rules, strict=True
                )
            )
        out.extend(compare_headers(expected.headers, actual.headers, self.header_rules))
        out.extend(self.body.compare(actual.body))
        return out

    def matches(self, actual: HttpRequest) -> bool:
        """Whether `actual` matches, stopping at the first difference.

        A stub tries many candidates per request; explaining each one that loses (what `match`
        does) cost more than the matching itself on rule-heavy pacts.
        """
        expected = self.expected
        if expected.method.upper() != actual.method.upper():
            return False
        if self.path_rule is not None and self.path_rule.matchers:
            if check_rules(self.path_rule, expected.path, actual.path) is not None:
                return False
        elif expected.path != actual.path:
            return False
        if self.raw_query and expected.query_text is not None and actual.query_text is not None:
            if unquote(expected.query_text) != unquote(actual.query_text):
                return False
        elif (expected.query or actual.query) and compare_multimap(
            "query", expected.query or {}, actual.query or {}, self.query_rules, strict=True
        ):
            return False
        if expected.headers and compare_headers(
            expected.headers, actual.headers, self.header_rules
        ):
            return False
        return not self.body.compare(actual.body)


class ResponseMatcher:
    """An expected response compiled once; `match` lists the mismatches of an actual one."""

    def __init__(self, expected: HttpResponse) -> None:
        self.expected = expected
        rules = expected.matching_rules
        self.body = BodyComparator(
            expected.body, _category(rules, "body"), allow_unexpected_keys=True
        )
        self.header_rules = _category(rules, "header", "headers")
        self.status_rule = _single(_category(rules, "status"))

    def match(self, actual: HttpResponse) -> list[Mismatch]:
        """Every mismatch: status, headers, then body."""
        expected = self.expected
        out: list[Mismatch] = []
        if self.status_rule is not None and self.status_rule.matchers:
            problem = check_rules(self.status_rule, expected.status, actual.status)
            if problem is not None:
                out.append(
                    Mismatch(
                        "status",
                        "",
                        problem,
                        str(actual.status),
                        f"{problem}, found {actual.status}",
                    )
                )
        elif expected.status is not None and expected.status != actual.status:
            out.append(
                Mismatch(
                    "status",
                    "",
                    str(expected.status),
                    str(actual.status),
                    f"expected status {expected.status}, found {actual.status}",
                )
            )
        out.extend(compare_headers(expected.headers, actual.headers, self.header_rules))
        out.extend(self.body.compare(actual.body))
        return out


class MessageMatcher:
    """An expected message compiled once; `match` lists the mismatches of an actual one."""

    def __init__(self, expected: Message) -> None:
        self.expected = expected
        rules = expected.matching_rules
        self.body = BodyComparator(
            expected.contents, _category(rules, "body", "content"), allow_unexpected_keys=True
        )
        self.metadata_rules = _category(rules, "metadata")

    def match(self, actual: Message) -> list[Mismatch]:
        """Every mismatch of the contents and of the metadata the contract names."""
        out = self.body.compare(actual.contents)
        out.extend(_compare_metadata(self.expected.metadata, actual.metadata, self.metadata_rules))
        return out


def _compare_metadata(
    expected: Mapping[str, JSON], actual: Mapping[str, JSON], rules: Mapping[str, RuleList]
) -> list[Mismatch]:
    out: list[Mismatch] = []
    for key, want in expected.items():
        if key not in actual:
            if key.lower() in ("contenttype", "content-type"):
                continue
            out.append(
                Mismatch(
                    "metadata",
                    key,
                    show(want),
                    "",
                    f"expected metadata {key}={show(want)}, but it is missing",
                )
            )
            continue
        got = actual[key]
        rule = rules.get(key)
        problem = check_rules(rule, want, got) if rule is not None else None
        if rule is None and want != got:
            problem = f"expected {show(want)}"
        if problem is not None:
            out.append(
                Mismatch("metadata", key, problem, show(got), f"{problem}, found {show(got)}")
            )
    return out


def match_request(
    expected: HttpRequest, actual: HttpRequest, spec_version: str = "4.0"
) -> list[Mismatch]:
    """The mismatches between an expected and an actual request (strict)."""
    return RequestMatcher(expected, spec_version).match(actual)


def match_response(expected: HttpResponse, actual: HttpResponse) -> list[Mismatch]:
    """The mismatches between an expected and an actual response (lenient)."""
    return ResponseMatcher(expected).match(actual)


def match_message(expected: Message, actual: Message) -> list[Mismatch]:
    """The mismatches between an expected and an actual message (lenient)."""
    return MessageMatcher(expected).match(actual)
