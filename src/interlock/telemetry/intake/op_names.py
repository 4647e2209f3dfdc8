"""Low-cardinality operation names: a span without `http.route` gets method + templated path.

Numbers, UUIDs and long hex ids in a path become `{id}`, so `GET /orders/17` and
`GET /orders/18` count as one operation in RED, the aggregates and RCA.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{12,}|[0-9a-zA-Z_-]{20,}|.*\d.*\d.*\d.*\d.*)$"
)
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def template_path(path: str) -> str:
    """`/orders/17/items/3f2a…` → `/orders/{id}/items/{id}`; the query string is dropped."""
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in path.split("/")]
    return "/".join(parts) or "/"


def _text(attributes: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def stable_name(name: str, attributes: Mapping[str, Any]) -> str:
    """The name RED and RCA count the span under.

    `METHOD route` when the span has `http.route`; a bare method or a `METHOD /path` name gets
    its path from `url.path`/`http.target`/`url.full`/`http.url` (or from the name), templated.
    Names that do not start with an HTTP method are kept as they are.
    """
    head, _, rest = name.partition(" ")
    if head.upper() not in _METHODS:
        return name  # a name of the application's own choosing stays
    method = head.upper()
    route = _text(attributes, "http.route")
    if route:
        return f"{method} {route}"
    path = _text(attributes, "url.path", "http.target")
    if not path:
        url = _text(attributes, "url.full", "http.url")
        path = urlsplit(url).path if url else ""
    if not path and rest.startswith("/"):
        path = rest
    if not path:
        return name
    return f"{method} {template_path(path)}"
