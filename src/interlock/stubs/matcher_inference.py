"""Matching rules guessed for recorded values that vary: ids, UUIDs, timestamps, secrets.

A recording becomes a first draft of a contract: these rules keep it from pinning one run's values.
"""

from __future__ import annotations

import re
from typing import Any

from interlock.contracts import MatchingRule, RuleList

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TIMESTAMP_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
_ID_KEY = re.compile(r"(^id$|_id$|Id$|^uuid$|_uuid$)")
_SEGMENT_ID = re.compile(rf"^(\d+|{UUID_RE})$")

SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
_SECRET_WORDS = ("api-key", "apikey", "api_key", "token", "secret", "password", "session")
REDACTED = "[REDACTED]"


def is_secret_header(name: str) -> bool:
    """Authorization, cookies and anything named like an API key or a token."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in _SECRET_WORDS)


def _rule(kind: str, **settings: Any) -> RuleList:
    return RuleList((MatchingRule(kind, {"match": kind, **settings}),))


def _value_rule(key: str, value: Any) -> RuleList | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        if re.fullmatch(UUID_RE, value):
            return _rule("regex", regex=UUID_RE)
        if re.fullmatch(TIMESTAMP_RE, value):
            return _rule("regex", regex=TIMESTAMP_RE)
        if re.fullmatch(DATE_RE, value):
            return _rule("regex", regex=DATE_RE)
        return _rule("type") if _ID_KEY.search(key) else None
    if isinstance(value, int) and _ID_KEY.search(key):
        return _rule("integer")
    return None


def infer_matchers(body: Any, path: str = "$", key: str = "") -> dict[str, RuleList]:
    """Body rules (`$.items[*].id` -> integer) for the values of a JSON body that vary."""
    out: dict[str, RuleList] = {}
    if isinstance(body, dict):
        for name, value in body.items():
            out.update(infer_matchers(value, f"{path}.{name}", name))
    elif isinstance(body, list):
        for item in body:
            out.update(infer_matchers(item, f"{path}[*]", key))
    else:
        rule = _value_rule(key, body)
        if rule is not None:
            out[path] = rule
    return out


def path_rule(path: str) -> RuleList | None:
    """A regex for a path with ids or UUIDs in it (`/orders/17` -> `/orders/\\d+`), else None."""
    segments = path.split("/")
    if not any(_SEGMENT_ID.match(s) for s in segments):
        return None
    pattern = "/".join(
        (r"\d+" if s.isdigit() else UUID_RE) if _SEGMENT_ID.match(s) else re.escape(s)
        for s in segments
    )
    return _rule("regex", regex=f"^{pattern}$")
