"""The matching engine seen from outside: mismatches worded for a person, bodies by content type."""

from __future__ import annotations

from typing import Any

import interlock.contracts as contracts
from interlock.contracts import (
    Body,
    HttpRequest,
    HttpResponse,
    ResponseMatcher,
    match_request,
    match_response,
    parse_request,
    parse_response,
)


def _response(
    body: Any, rules: dict[str, Any] | None = None, content_type: str = "application/json"
) -> HttpResponse:
    data: dict[str, Any] = {
        "status": 200,
        "headers": {"Content-Type": content_type},
        "body": {"contentType": content_type, "content": body},
    }
    if rules:
        data["matchingRules"] = {"body": {k: {"matchers": v} for k, v in rules.items()}}
    return parse_response(data, 4, "test", "$")


def _messages(
    expected: HttpResponse, actual_body: Any, content_type: str = "application/json"
) -> list[str]:
    actual = HttpResponse(
        200, {"Content-Type": content_type}, Body(True, actual_body, content_type)
    )
    return [str(m) for m in match_response(expected, actual)]


def test_public_surface_is_pinned() -> None:
    """Other packages import only these names; a change here is a deliberate API change."""
    assert {
        "Body",
        "GeneratorContext",
        "GeneratorError",
        "HttpRequest",
        "HttpResponse",
        "Interaction",
        "InteractionKind",
        "InteractionResult",
        "MatchingRule",
        "Message",
        "MessageMatcher",
        "MessageProducer",
        "ProducedMessage",
        "Mismatch",
        "Pact",
        "ProviderState",
        "RequestMatcher",
        "ResponseMatcher",
        "RuleList",
        "VerificationReport",
        "VerifyOptions",
        "find_pact_files",
        "generate_message",
        "generate_request",
        "generate_response",
        "generate_value",
        "load_pact",
        "match_message",
        "match_request",
        "match_response",
        "pact_to_json",
        "parse_message",
        "parse_pact",
        "parse_request",
        "parse_response",
        "report_to_json",
        "report_to_junit",
        "verify_pacts",
        "write_pact",
        "ContractQuery",
        "DatabaseContract",
        "contract_from_queries",
        "load_contract_queries",
        "load_database_contracts",
        "write_database_contract",
        "match",
        "ConsumerPact",
        "InteractionBuilder",
        "ContractDefinitionError",
        "MockProvider",
        "MockProviderError",
        "MockReport",
        "UnexpectedRequest",
        "PactCollector",
        "PactConflictError",
        "WriteMode",
        "pact_file_name",
        "ContractIndex",
        "PactFile",
        "index_contracts",
        "interaction_view",
        "OpenApiDocument",
        "OpenApiOperation",
        "PathTemplate",
        "coerce_parameter",
        "load_openapi",
        "parse_openapi",
        "resolve_ref",
        "schema_example",
        "validate_schema",
        "CompatReport",
        "InteractionCompat",
        "check_interaction",
        "check_pacts_against_spec",
        "compat_to_json",
        "CompatProblem",
        "AffectedInteraction",
        "SpecChange",
        "SpecDiff",
        "diff_specs",
        "diff_to_json",
        "ChangeSeverity",
        "read_document_file",
    } == set(contracts.__all__)


def test_mismatch_names_path_expected_and_found() -> None:
    rules = {"$.order.items": [{"match": "type"}], "$.order.items[*].qty": [{"match": "integer"}]}
    expected = _response({"order": {"items": [{"qty": 1}]}}, rules)
    assert ['body $.order.items[1].qty: expected an integer, found "two"'] == _messages(
        expected, {"order": {"items": [{"qty": 3}, {"qty": "two"}]}}
    )


def test_type_mismatch_and_missing_key_are_worded() -> None:
    expected = _response({"name": "Mary", "age": 3})
    assert [
        'body $.name: expected "Mary", found 12',
        "body $: expected the key 'age', but it is missing",
    ] == _messages(expected, {"name": 12})


def test_array_size_under_min_is_reported_with_counts() -> None:
    expected = _response({"tags": ["a"]}, {"$.tags": [{"match": "type", "min": 2}]})
    assert [
        'body $.tags: expected an array of at least 2 item(s), found 1, found ["x"]'
    ] == _messages(expected, {"tags": ["x"]})


def test_request_refuses_unexpected_keys_response_allows_them() -> None:
    request = parse_request(
        {
            "method": "POST",
            "path": "/",
            "headers": {"Content-Type": "application/json"},
            "body": {"content": {"a": 1}, "contentType": "application/json"},
        },
        4,
        "test",
        "$",
    )
    actual = HttpRequest(
        "POST",
        "/",
        None,
        None,
        {"Content-Type": "application/json"},
        Body(True, {"a": 1, "b": 2}, "application/json"),
    )
    [mismatch] = match_request(request, actual)
    assert "body" == mismatch.category
    assert "unexpected key(s) 'b'" in mismatch.message
    assert [] == _messages(_response({"a": 1}), {"a": 1, "b": 2})


def test_xml_bodies_compare_elements_attributes_and_text() -> None:
    expected = _response(
        '<order id="1"><item>book</item></order>',
        {"$.order['@id']": [{"match": "integer"}]},
        "application/xml",
    )
    assert [] == _messages(expected, '<order id="77"><item>book</item></order>', "application/xml")
    assert ['body $.order.item[\'#text\']: expected "book", found "pen"'] == _messages(
        expected, '<order id="77"><item>pen</item></order>', "application/xml"
    )


def test_plain_text_body_under_a_regex() -> None:
    expected = _response(
        "hello Mary", {"$": [{"match": "regex", "regex": "hello \\w+"}]}, "text/plain"
    )
    assert [] == _messages(expected, "hello Fred", "text/plain")
    assert [
        "body $: expected a value matching the regex 'hello \\\\w+', found \"bye Fred\""
    ] == _messages(expected, "bye Fred", "text/plain")


def test_body_bytes_from_http_are_parsed_by_content_type() -> None:
    """A JSON body arriving as bytes is parsed before matching."""
    matcher = ResponseMatcher(_response({"id": 1}, {"$.id": [{"match": "integer"}]}))
    actual = HttpResponse(
        200, {"Content-Type": "application/json"}, Body(True, b'{"id": 99}', "application/json")
    )
    assert [] == matcher.match(actual)


def test_header_mismatch_says_which_header() -> None:
    expected = _response({"a": 1})
    actual = HttpResponse(
        200, {"Content-Type": "text/html"}, Body(True, {"a": 1}, "application/json")
    )
    assert ['header Content-Type: expected "application/json", found "text/html"'] == [
        str(m) for m in match_response(expected, actual)
    ]


def test_compiled_matcher_gives_the_same_answer_twice() -> None:
    """The fast yes/no path and the full comparison agree on repeated use."""
    matcher = ResponseMatcher(
        _response(
            {"items": [{"id": 1}]},
            {"$.items": [{"match": "type", "min": 1}], "$.items[*].id": [{"match": "integer"}]},
        )
    )
    good = HttpResponse(
        200,
        {"Content-Type": "application/json"},
        Body(True, {"items": [{"id": 2}, {"id": 3}]}, "application/json"),
    )
    bad = HttpResponse(
        200,
        {"Content-Type": "application/json"},
        Body(True, {"items": [{"id": 2}, {"id": "3"}]}, "application/json"),
    )
    for _ in range(3):
        assert [] == matcher.match(good)
        assert ['body $.items[1].id: expected an integer, found "3"'] == [
            str(m) for m in matcher.match(bad)
        ]
