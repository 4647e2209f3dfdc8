"""Pact generators: values made at run time in place of a contract's examples.

RandomInt, RandomDecimal, RandomHexadecimal, RandomString, Regex, Uuid, Date, Time, DateTime,
RandomBoolean, ProviderState and MockServerURL, applied to requests, responses and messages.
"""

from __future__ import annotations

import copy
import random
import re
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from interlock.contracts.datetimes import DEFAULT_FORMATS, format_datetime
from interlock.contracts.model import JSON, Body, HttpRequest, HttpResponse, Message
from interlock.contracts.paths import FIELD, INDEX, STAR_INDEX, PathExpression, parse_path
from interlock.contracts.regex_strings import string_matching
from interlock.errors import UserInputError

_EXPRESSION = re.compile(r"\$\{([^}]+)\}")
_OFFSET = re.compile(r"([+-])\s*(\d+)\s*(second|minute|hour|day|week|month|year)s?", re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


class GeneratorError(UserInputError):
    """A generator that cannot produce a value (unknown type, missing state parameter...)."""


@dataclass(frozen=True)
class GeneratorContext:
    """What generators may draw on: provider-state parameters, the mock server's URL, a clock."""

    provider_state: Mapping[str, JSON] = field(default_factory=dict)
    mock_server_url: str | None = None
    now: datetime | None = None
    rng: random.Random = field(default_factory=random.Random)


def generate_value(spec: Mapping[str, JSON], example: JSON, context: GeneratorContext) -> JSON:
    """One value from a generator's settings (`{"type": "RandomInt", "min": 1, "max": 9}`)."""
    kind = spec.get("type")
    rng = context.rng
    if kind == "RandomInt":
        low, high = int(spec.get("min", 0)), int(spec.get("max", 2147483647))
        return rng.randint(low, high)
    if kind == "RandomDecimal":
        digits = max(2, int(spec.get("digits", 6)))
        whole = rng.randint(1, 9)
        text = str(whole) + "".join(rng.choice(string.digits) for _ in range(digits - 2))
        point = rng.randint(1, len(text) - 1) if len(text) > 1 else 1
        return float(f"{text[:point]}.{text[point:] or '0'}{rng.randint(1, 9)}")
    if kind == "RandomHexadecimal":
        return "".join(rng.choice("0123456789abcdef") for _ in range(int(spec.get("digits", 10))))
    if kind == "RandomString":
        alphabet = string.ascii_letters + string.digits
        return "".join(rng.choice(alphabet) for _ in range(int(spec.get("size", 20))))
    if kind == "Regex":
        return string_matching(str(spec.get("regex", ".*")), rng)
    if kind == "Uuid":
        return _uuid(str(spec.get("format", "lower-case-hyphenated")), rng)
    if kind in ("Date", "Time", "DateTime"):
        return _moment(str(kind), spec, context)
    if kind == "RandomBoolean":
        return rng.random() < 0.5
    if kind == "ProviderState":
        return _from_state(str(spec.get("expression", "")), spec.get("dataType"), context)
    if kind == "MockServerURL":
        return _mock_url(spec, example, context)
    raise GeneratorError(f"unknown generator type {kind!r}")


def _uuid(form: str, rng: random.Random) -> str:
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    if form == "simple":
        return value.hex
    if form == "upper-case-hyphenated":
        return str(value).upper()
    if form == "URN":
        return value.urn
    return str(value)


def _moment(kind: str, spec: Mapping[str, JSON], context: GeneratorContext) -> str:
    moment = context.now or datetime.now(UTC)
    expression = spec.get("expression")
    if isinstance(expression, str):
        moment = _shift(moment, expression)
    pattern = spec.get("format")
    if not isinstance(pattern, str):
        pattern = DEFAULT_FORMATS[kind.lower()]
        if kind == "DateTime":
            return moment.isoformat(timespec="milliseconds")
    return format_datetime(moment, pattern)


def _shift(moment: datetime, expression: str) -> datetime:
    text = expression.strip().lower()
    words = {"now": 0, "today": 0, "tomorrow": 1, "yesterday": -1}
    for word, days in words.items():
        if text.startswith(word):
            moment += timedelta(days=days)
            text = text[len(word) :]
    for sign, amount, unit in _OFFSET.findall(text):
        count = int(amount) * (1 if sign == "+" else -1)
        unit = unit.lower()
        if unit == "month":
            month = moment.month - 1 + count
            moment = moment.replace(
                year=moment.year + month // 12, month=month % 12 + 1, day=min(moment.day, 28)
            )
        elif unit == "year":
            moment = moment.replace(year=moment.year + count)
        else:
            moment += timedelta(seconds=count * _UNIT_SECONDS[unit])
    return moment


def _from_state(expression: str, data_type: JSON, context: GeneratorContext) -> JSON:
    params = context.provider_state
    whole = _EXPRESSION.fullmatch(expression)
    if whole:
        name = whole.group(1).strip()
        if name not in params:
            raise GeneratorError(
                f"provider state has no parameter {name!r} for expression {expression!r}"
            )
        value: JSON = params[name]
    else:

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name not in params:
                raise GeneratorError(
                    f"provider state has no parameter {name!r} for expression {expression!r}"
                )
            return str(params[name])

        value = _EXPRESSION.sub(substitute, expression)
    return _convert(value, data_type)


def _convert(value: JSON, data_type: JSON) -> JSON:
    kind = str(data_type or "RAW").upper()
    try:
        if kind == "STRING":
            return value if isinstance(value, str) else str(value)
        if kind == "INTEGER":
            return int(value)
        if kind in ("DECIMAL", "FLOAT"):
            return float(value)
        if kind == "BOOLEAN":
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (TypeError, ValueError) as exc:
        raise GeneratorError(f"cannot turn {value!r} into {kind}") from exc
    return value


def _mock_url(spec: Mapping[str, JSON], example: JSON, context: GeneratorContext) -> JSON:
    if context.mock_server_url is None:
        return example
    sample = str(spec.get("example", example))
    pattern = spec.get("regex")
    base = context.mock_server_url.rstrip("/")
    if isinstance(pattern, str):
        match = re.match(pattern, sample)
        if match and match.groups():
            return base + (match.group(1) or "")
    return base


def generate_body(
    body: Body, generators: Mapping[str, Mapping[str, JSON]], context: GeneratorContext
) -> Body:
    """A copy of a JSON body with each generator's value at the places its path names."""
    if not generators or not body.present or not isinstance(body.content, dict | list):
        return body
    content = copy.deepcopy(body.content)
    for key, spec in generators.items():
        expression = parse_path(key if key.startswith("$") else "$." + key)
        if not expression.tokens:
            content = generate_value(spec, content, context)
            continue
        _apply(content, (), expression, spec, context)
    return replace(body, content=content)


def _apply(
    node: Any,
    path: tuple[str, ...],
    expression: PathExpression,
    spec: Mapping[str, JSON],
    context: GeneratorContext,
) -> None:
    """Replace every value under `node` whose path the expression names exactly."""
    if isinstance(node, dict):
        children: list[tuple[str, Any]] = [(k, k) for k in node]
    elif isinstance(node, list):
        children = [(str(i), i) for i in range(len(node))]
    else:
        return
    depth = len(path)
    kind, value = expression.tokens[depth]
    for fragment, key in children:
        if (kind in (FIELD, INDEX) and value != fragment) or (
            kind == STAR_INDEX and not fragment.isdigit()
        ):
            continue
        if depth + 1 == len(expression.tokens):
            node[key] = generate_value(spec, node[key], context)
        else:
            _apply(node[key], (*path, fragment), expression, spec, context)


def _generate_map(
    values: Mapping[str, Any] | None,
    generators: Mapping[str, Mapping[str, JSON]],
    context: GeneratorContext,
) -> dict[str, Any] | None:
    if values is None and not generators:
        return None
    out = dict(values or {})
    for name, spec in generators.items():
        current = out.get(name)
        example = current[0] if isinstance(current, list) and current else current
        value = generate_value(spec, example, context)
        out[name] = [str(value)] if isinstance(current, list) else str(value)
    return out


def generate_request(request: HttpRequest, context: GeneratorContext) -> HttpRequest:
    """The request with its generators applied (body, path, query, headers)."""
    gens = request.generators
    if not gens:
        return request
    path = request.path
    if "path" in gens:
        spec = next(iter(gens["path"].values()))
        path = str(generate_value(spec, path, context))
    query = (
        _generate_map(request.query, gens.get("query", {}), context)
        if "query" in gens
        else request.query
    )
    headers = (
        _generate_map(request.headers, gens.get("header", {}), context)
        if "header" in gens
        else request.headers
    )
    return replace(
        request,
        path=path,
        query=query,
        query_text=None,
        headers=headers,
        body=generate_body(request.body, gens.get("body", {}), context),
    )


def generate_response(response: HttpResponse, context: GeneratorContext) -> HttpResponse:
    """The response with its generators applied (status, headers, body)."""
    gens = response.generators
    if not gens:
        return response
    status = response.status
    if "status" in gens:
        spec = next(iter(gens["status"].values()))
        status = int(generate_value(spec, status, context))
    headers = (
        _generate_map(response.headers, gens.get("header", {}), context)
        if "header" in gens
        else response.headers
    )
    return replace(
        response,
        status=status,
        headers=headers,
        body=generate_body(response.body, gens.get("body", {}), context),
    )


def generate_message(message: Message, context: GeneratorContext) -> Message:
    """The message with its generators applied (contents and metadata)."""
    gens = message.generators
    if not gens:
        return message
    contents = generate_body(message.contents, gens.get("body", gens.get("content", {})), context)
    metadata = dict(message.metadata)
    for name, spec in gens.get("metadata", {}).items():
        metadata[name] = generate_value(spec, metadata.get(name), context)
    return replace(message, contents=contents, metadata=metadata)
