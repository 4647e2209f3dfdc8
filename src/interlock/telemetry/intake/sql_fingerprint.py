"""SQL statements seen on spans, reduced to a fingerprint with the literals taken out.

PostgreSQL's own parser (pglast) where the statement parses, a regex fallback where it does not.
"""

from __future__ import annotations

import hashlib
import re

from pglast import parser

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CACHE_SIZE = 10_000
_by_shape: dict[str, tuple[str, str]] = {}
_by_text: dict[str, tuple[str, str]] = {}  # parametrized statements ($1, ?) repeat verbatim


def _shape(sql: str) -> str:
    """The statement with literals replaced by `?`: cheap, and equal wherever pglast's would be."""
    # each step only where it can change something: ingest shapes every SQL span
    text = _STRING.sub("?", sql) if "'" in sql else sql
    text = _NUMBER.sub("?", text)
    if "(" in text:
        text = _IN_LIST.sub("IN (?)", text)
    # str.split() and the regex \s agree on what whitespace is; the split is ~6x faster
    return " ".join(text.split()).rstrip(";")


def _fallback(shape: str) -> tuple[str, str]:
    digest = hashlib.sha1(shape.lower().encode(), usedforsecurity=False).hexdigest()[:16]
    return digest, shape


def fingerprint_sql(sql: str) -> tuple[str, str]:
    """`(fingerprint, normalized text)`: equal for statements that differ only in literals."""
    found = _by_text.get(sql)
    if found is not None:
        return found
    # statements with inline literals rarely repeat verbatim, but their shapes do: parse each
    # shape once, not each statement
    shape = _shape(sql)
    found = _by_shape.get(shape)
    if found is not None:
        _remember(_by_text, sql, found)
        return found
    try:
        found = parser.fingerprint(sql), _SPACE.sub(" ", parser.normalize(sql)).strip()
    except Exception:  # pglast raises several types; any failure means "not PostgreSQL SQL"
        found = _fallback(shape)
    _remember(_by_shape, shape, found)
    _remember(_by_text, sql, found)
    return found


def _remember(cache: dict[str, tuple[str, str]], key: str, value: tuple[str, str]) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
