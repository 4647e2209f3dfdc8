"""Generators: each case under generator_cases/ generates a value its own contract accepts.

A case may also pin exact values (`generated`), for generators that are not random.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from interlock.contracts import (
    GeneratorContext,
    GeneratorError,
    generate_message,
    generate_request,
    generate_response,
    generate_value,
    match_message,
    match_request,
    match_response,
    parse_message,
    parse_request,
    parse_response,
)

CASES = sorted((Path(__file__).resolve().parent / "generator_cases").glob("*.json"))


def _context(raw: dict[str, Any], seed: int) -> GeneratorContext:
    now = datetime.fromisoformat(raw["now"]) if "now" in raw else None
    return GeneratorContext(
        provider_state=raw.get("providerState", {}),
        mock_server_url=raw.get("mockServerUrl"),
        now=now,
        rng=random.Random(seed),
    )


def _at(document: dict[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.removeprefix("$.").split("."):
        node = node[part]
    return node


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generator_case(path: Path, seed: int) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    context = _context(case["context"], seed)
    file = str(path)
    if case["kind"] == "request":
        request = parse_request(case["expected"], 4, file, "$.expected")
        made = generate_request(request, context)
        mismatches = match_request(request, made)
        view = {"path": made.path, "body": made.body.content}
    elif case["kind"] == "message":
        message = parse_message(case["expected"], 4, file, "$.expected")
        made_m = generate_message(message, context)
        mismatches = match_message(message, made_m)
        view = {"body": made_m.contents.content}
    else:
        response = parse_response(case["expected"], 4, file, "$.expected")
        made_r = generate_response(response, context)
        mismatches = match_response(response, made_r)
        view = {"body": made_r.body.content, "status": made_r.status}
    assert case["match"] == (not mismatches), [str(m) for m in mismatches]
    for where, value in case.get("generated", {}).items():
        assert value == _at(view, where)


def test_generated_values_change_between_runs() -> None:
    """Random generators are random: two seeds give two different strings."""
    spec = {"type": "RandomString", "size": 12}
    first = generate_value(spec, "x", GeneratorContext(rng=random.Random(1)))
    second = generate_value(spec, "x", GeneratorContext(rng=random.Random(2)))
    assert first != second


def test_provider_state_generator_names_the_missing_parameter() -> None:
    spec = {"type": "ProviderState", "expression": "${orderId}"}
    with pytest.raises(GeneratorError, match="orderId"):
        generate_value(spec, 1, GeneratorContext(provider_state={"id": 1}))


def test_unknown_generator_is_an_error() -> None:
    with pytest.raises(GeneratorError, match="Nonsense"):
        generate_value({"type": "Nonsense"}, 1, GeneratorContext())
