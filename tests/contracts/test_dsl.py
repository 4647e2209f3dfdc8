"""The consumer DSL: the fluent builder and the `match` module, as Pact JSON and as the engine reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlock.contracts import (
    Body,
    HttpResponse,
    load_pact,
    match,
    match_response,
    pact_to_json,
    write_pact,
)
from interlock.contracts.dsl import ConsumerPact, ContractDefinitionError
from interlock.contracts.match import Matcher, compile_value


def _product_pact(spec: str = "4") -> ConsumerPact:
    pact = ConsumerPact("gateway", "inventory", spec=spec)
    (
        pact.upon_receiving("a request for product 1")
        .given("product 1 exists", id=1)
        .with_request("GET", "/products/1")
        .will_respond_with(200, body={"id": match.integer(1), "name": match.string("Chair")})
    )
    return pact


def test_builder_writes_the_sentence_as_a_v4_interaction() -> None:
    assert {
        "type": "Synchronous/HTTP",
        "description": "a request for product 1",
        "providerStates": [{"name": "product 1 exists", "params": {"id": 1}}],
        "request": {"method": "GET", "path": "/products/1"},
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": {
                "content": {"id": 1, "name": "Chair"},
                "contentType": "application/json",
                "encoded": False,
            },
            "matchingRules": {
                "body": {
                    "$.id": {"matchers": [{"match": "integer"}]},
                    "$.name": {"matchers": [{"match": "type"}]},
                }
            },
        },
    } == pact_to_json(_product_pact().to_pact())["interactions"][0]


def test_v3_pact_has_plain_bodies_and_says_its_version() -> None:
    doc = pact_to_json(_product_pact("v3").to_pact())
    assert {"id": 1, "name": "Chair"} == doc["interactions"][0]["response"]["body"]
    assert {"pactSpecification": {"version": "3.0.0"}} == doc["metadata"]


def test_written_pact_reads_back_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "gateway-inventory.json"
    write_pact(_product_pact().to_pact(), path)
    assert json.loads(path.read_text(encoding="utf-8")) == pact_to_json(load_pact(path))


def test_state_params_come_positionally_or_by_keyword() -> None:
    pact = ConsumerPact("a", "b")
    builder = pact.upon_receiving("x").given("s", {"id": 1}, name="n")
    builder.with_request("GET", "/").will_respond_with(204)
    assert {"id": 1, "name": "n"} == dict(pact.interactions[0].provider_states[0].params)


def test_each_like_serves_min_copies_and_rules_every_item() -> None:
    compiled = compile_value(
        {"items": match.each_like({"sku": match.regex(r"[A-Z]-\d", "A-1")}, min=2)}
    )
    assert {"items": [{"sku": "A-1"}, {"sku": "A-1"}]} == compiled.example
    assert {
        "$.items": [{"match": "type", "min": 2}],
        "$.items[*].sku": [{"match": "regex", "regex": r"[A-Z]-\d"}],
    } == {
        path: [dict(m.attributes) for m in rules.matchers] for path, rules in compiled.rules.items()
    }


def test_keys_that_are_not_plain_names_are_quoted() -> None:
    compiled = compile_value({"x-id": match.integer(1)})
    assert ["$['x-id']"] == list(compiled.rules)


@pytest.mark.parametrize(
    ("matcher", "rule"),
    [
        (match.integer(3), {"match": "integer"}),
        (match.decimal(1.5), {"match": "decimal"}),
        (match.number(2), {"match": "number"}),
        (match.string("a"), {"match": "type"}),
        (match.like({"a": 1}), {"match": "type"}),
        (match.regex(r"\d+", "12"), {"match": "regex", "regex": r"\d+"}),
        (match.include("ell", "hello"), {"match": "include", "value": "ell"}),
        (match.boolean(False), {"match": "boolean"}),
        (match.null(), {"match": "null"}),
        (match.date(), {"match": "date", "format": "yyyy-MM-dd"}),
        (match.time("HH:mm"), {"match": "time", "format": "HH:mm"}),
        (match.datetime(), {"match": "datetime", "format": "yyyy-MM-dd'T'HH:mm:ss"}),
        (match.uuid(), {"match": "regex", "regex": match.UUID_REGEX}),
        (match.hexadecimal("ff"), {"match": "regex", "regex": match.HEX_REGEX}),
        (match.semver("1.2.3"), {"match": "semver"}),
        (match.not_empty("x"), {"match": "notEmpty"}),
        (match.values({"a": 1}), {"match": "values"}),
        (
            match.each_key({"ab": 1}, match.regex("[a-z]+", "ab")),
            {
                "match": "eachKey",
                "rules": [{"match": "regex", "regex": "[a-z]+"}],
                "value": '{"ab":1}',
            },
        ),
        (
            match.each_value({"a": 1}, match.integer()),
            {"match": "eachValue", "rules": [{"match": "integer"}], "value": '{"a":1}'},
        ),
    ],
)
def test_each_matcher_writes_its_pact_rule(matcher: Matcher, rule: dict[str, Any]) -> None:
    assert [rule] == [dict(r) for r in matcher.rules]


def _response(value: Any) -> HttpResponse:
    compiled = compile_value(value)
    return HttpResponse(
        200,
        body=Body(True, compiled.example, "application/json"),
        matching_rules={"body": compiled.rules},
    )


def _mismatches(expected: Any, actual: Any) -> list[str]:
    return [
        str(m)
        for m in match_response(
            _response(expected), HttpResponse(200, body=Body(True, actual, "application/json"))
        )
    ]


@pytest.mark.parametrize(
    ("matcher", "good", "bad"),
    [
        (match.integer(3), 99, 1.5),
        (match.decimal(1.5), 2.25, 2),
        (match.number(2), 2.5, "2"),
        (match.string("a"), "zzz", 1),
        (match.regex(r"[A-Z]{3}", "EUR"), "USD", "usd"),
        (match.include("ell", "hello"), "yellow", "help"),
        (match.boolean(), False, 0),  # the strings "true" and "false" are booleans to the spec
        (match.null(), None, 0),
        (match.date(), "2025-12-31", "31/12/2025"),
        (match.time(), "23:59:01", "11pm"),
        (
            match.datetime("yyyy-MM-dd'T'HH:mm:ssXXX", "2026-01-31T12:30:00+00:00"),
            "2025-01-01T00:00:00+02:00",
            "2025-01-01",
        ),
        (match.uuid(), "0f8fad5b-d9cb-469f-a165-70867728950e", "not-a-uuid"),
        (match.semver("1.2.3"), "10.0.1-rc.1", "1.2"),
        (match.not_empty("x"), "y", ""),
        (match.each_like({"id": match.integer(1)}, min=1), [{"id": 5}, {"id": 6}], []),
        (match.each_like("a", min=1, max=2), ["b", "c"], ["b", "c", "d"]),
        (match.values({"a": match.integer(1)}), {"x": 2, "y": 3}, {"x": "2"}),
        (match.each_key({"ab": 1}, match.regex("[a-z]+", "ab")), {"zz": 1}, {"Z1": 1}),
        (match.each_value({"a": 1}, match.integer()), {"b": 2, "c": 3}, {"b": "2"}),
        (
            match.array_containing([{"kind": "gift", "n": match.integer(1)}]),
            [{"kind": "x", "n": 1}, {"kind": "gift", "n": 7}],
            [{"kind": "x", "n": 1}],
        ),
        (match.either(match.integer(1), match.null()), None, "1"),
    ],
)
def test_the_engine_applies_each_matcher(matcher: Matcher, good: Any, bad: Any) -> None:
    """What the DSL writes is what the matching engine reads: the good value passes, the bad fails."""
    assert [] == _mismatches({"v": matcher}, {"v": good})
    assert [] != _mismatches({"v": matcher}, {"v": bad})


def test_generate_adds_a_generator_beside_the_rule() -> None:
    compiled = compile_value(
        {
            "id": match.integer(1, min=1, max=9, generate=True),
            "ref": match.uuid(generate=True),
            "at": match.datetime(generate=True),
            "code": match.regex("[A-Z]{2}", "AB", generate=True),
            "url": match.mock_server_url(r".*/orders/\d+", "http://localhost/orders/1"),
            "order": match.provider_state("${id}", 7),
        }
    )
    assert {
        "$.id": {"type": "RandomInt", "min": 1, "max": 9},
        "$.ref": {"type": "Uuid"},
        "$.at": {"type": "DateTime", "format": "yyyy-MM-dd'T'HH:mm:ss"},
        "$.code": {"type": "Regex", "regex": "[A-Z]{2}"},
        "$.url": {
            "type": "MockServerURL",
            "regex": r".*/orders/\d+",
            "example": "http://localhost/orders/1",
        },
        "$.order": {"type": "ProviderState", "expression": "${id}", "dataType": "INTEGER"},
    } == compiled.generators


def test_matchers_in_headers_query_path_and_status_land_in_their_categories() -> None:
    pact = ConsumerPact("a", "b")
    (
        pact.upon_receiving("a search")
        .with_request(
            "GET",
            match.regex(r"/items/\d+", "/items/1"),
            query={"page": match.integer(2), "q": "mug"},
            headers={"X-Request-Id": match.uuid()},
        )
        .will_respond_with(match.status_code("success", 200), headers={"ETag": match.string("v1")})
    )
    request = pact_to_json(pact.to_pact())["interactions"][0]["request"]
    response = pact_to_json(pact.to_pact())["interactions"][0]["response"]
    assert {"page": ["2"], "q": ["mug"]} == request["query"]
    assert {
        "path": {"matchers": [{"match": "regex", "regex": r"/items/\d+"}]},
        "query": {"page": {"matchers": [{"match": "integer"}]}},
        "header": {"X-Request-Id": {"matchers": [{"match": "regex", "regex": match.UUID_REGEX}]}},
    } == request["matchingRules"]
    assert 200 == response["status"]
    assert {
        "status": {"matchers": [{"match": "statusCode", "status": "success"}]},
        "header": {"ETag": {"matchers": [{"match": "type"}]}},
    } == response["matchingRules"]


def test_request_body_sets_its_content_type_header() -> None:
    pact = ConsumerPact("a", "b")
    pact.upon_receiving("a note").with_request("POST", "/notes", body="hello").will_respond_with(
        201
    )
    request = pact.interactions[0].request
    assert request is not None
    assert ({"Content-Type": "text/plain"}, "hello") == (request.headers, request.body.content)


def test_an_incomplete_interaction_is_a_clear_error() -> None:
    pact = ConsumerPact("gateway", "inventory")
    pact.upon_receiving("a request for product 1").with_request("GET", "/products/1")
    with pytest.raises(ContractDefinitionError) as caught:
        pact.to_pact()
    assert (
        "interaction 'a request for product 1' is incomplete: call will_respond_with(...)"
        == str(caught.value)
    )


def test_a_description_declared_twice_is_refused() -> None:
    pact = _product_pact()
    with pytest.raises(ContractDefinitionError, match="declared twice"):
        pact.upon_receiving("a request for product 1")


def test_a_regex_example_must_match_its_pattern() -> None:
    with pytest.raises(ValueError, match="does not match the regex"):
        match.regex(r"\d+", "abc")


def test_only_spec_versions_3_and_4_are_written() -> None:
    with pytest.raises(ContractDefinitionError, match="expected 3 or 4"):
        ConsumerPact("a", "b", spec="2")


def test_no_mock_url_before_serving() -> None:
    with pytest.raises(ContractDefinitionError, match="no mock provider is running"):
        _ = _product_pact().url
