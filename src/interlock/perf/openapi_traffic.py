"""Traffic from an OpenAPI document: each operation's request, from its examples.

Path, query and header parameters take their `example`/`examples` (else their schema's
example or a value made from the schema); a JSON body takes each of the request body's
`examples` in turn (else values made from the schema, varied per request). Success is the
operation's lowest 2xx response. Operations are named by their template (`GET /orders/{id}`),
as the span store names them, so an observed mix can weigh them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError
from interlock.perf.traffic import Flow, RequestVariant, Stage, Step, TrafficPlan, body_text

VARIANTS = 16
"""Requests prepared per operation whose values are made from schemas."""


def _examples(holder: dict[str, Any], document: Any) -> list[Any]:
    """A parameter's or media type's examples, `example` first."""
    found = []
    if "example" in holder:
        found.append(holder["example"])
    for example in (holder.get("examples") or {}).values():
        example = document.resolve(example)
        if isinstance(example, dict) and "value" in example:
            found.append(example["value"])
    return found


def _value(holder: dict[str, Any], document: Any, rng: random.Random, index: int) -> Any:
    from interlock.contracts import schema_example

    examples = _examples(holder, document)
    if examples:
        return examples[index % len(examples)]
    return schema_example(holder.get("schema", {}), document.data, rng)


def _variant(
    operation: Any, document: Any, rng: random.Random, index: int
) -> RequestVariant | None:
    from urllib.parse import quote, urlencode

    path = operation.template.text
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for parameter in operation.parameters:
        parameter = document.resolve(parameter)
        where, name = parameter.get("in"), str(parameter.get("name"))
        if where not in ("path", "query", "header"):
            continue
        if where != "path" and not parameter.get("required"):
            continue
        value = _value(parameter, document, rng, index)
        if value is None:
            return None  # a required value we cannot make: the operation is left out
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if where == "path":
            path = path.replace("{" + name + "}", quote(text, safe=""))
        elif where == "query":
            query.append((name, text))
        else:
            headers[name] = text
    body = None
    request_body = document.resolve(operation.operation.get("requestBody") or {})
    media = (request_body.get("content") or {}).get("application/json")
    if isinstance(media, dict):
        body = body_text(_value(media, document, rng, index))
        headers["Content-Type"] = "application/json"
    full = f"{path}?{urlencode(query)}" if query else path
    return RequestVariant(operation.method.upper(), full, headers, body)


def _success(operation: Any) -> tuple[int, ...]:
    codes = sorted(
        int(code) for code in (operation.operation.get("responses") or {}) if str(code).isdigit()
    )
    ok = [code for code in codes if 200 <= code < 300]
    return (ok[0],) if ok else ()


def plan_from_openapi(
    paths: Sequence[Path], stages: tuple[Stage, ...], seed: int = 0, service: str | None = None
) -> tuple[TrafficPlan, list[str]]:
    """One flow per operation of the documents; also notes on the operations left out."""
    from interlock.contracts import load_openapi

    rng = random.Random(seed)
    flows: list[Flow] = []
    notes: list[str] = []
    for path in paths:
        document = load_openapi(path)
        for operation in document.operations:
            variants = [_variant(operation, document, rng, i) for i in range(VARIANTS)]
            if any(v is None for v in variants):
                notes.append(f"{operation.label}: a required parameter has no example: left out")
                continue
            made = [v for v in variants if v is not None]
            unique = tuple({repr(v.to_json()): v for v in made}.values())
            step = Step(operation.label, unique, _success(operation))
            flows.append(Flow(f"{document.title}: {operation.label}", (step,)))
    if not flows:
        where = ", ".join(str(p) for p in paths)
        raise UserInputError(
            f"--openapi {where}: no operation to send ({'; '.join(notes) or 'none'})"
        )
    source = "openapi: " + ", ".join(str(p) for p in paths)
    return TrafficPlan(tuple(flows), stages, service=service, source=source), notes
