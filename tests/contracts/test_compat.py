"""`interlock contract compat`: pact interactions checked against an OpenAPI document, nothing run."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.contracts import check_pacts_against_spec
from interlock.errors import SourceError

runner = CliRunner()
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "catalog", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}},
                    {"name": "tag", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "maxItems": 100,
                                    "items": {"$ref": "#/components/schemas/Item"},
                                }
                            }
                        },
                    }
                },
            },
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "4XX": {"description": "refused"},
                },
            },
        },
        "/items/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "default": {
                        "description": "error",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"detail": {"type": "string"}},
                                }
                            }
                        },
                    },
                }
            },
        },
        "/private": {
            "get": {
                "security": [{"bearer": []}],
                "responses": {"204": {"description": "nothing"}},
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "maxLength": 20},
                    "kind": {"type": "string", "enum": ["book", "film"]},
                    "price": {"type": "number"},
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
                    "added": {"type": "string", "format": "date"},
                    "note": {"type": "string", "nullable": True},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "code": {"oneOf": [{"type": "integer"}, {"type": "boolean"}]},
                },
            },
            "NewItem": {
                "allOf": [
                    {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    },
                    {"properties": {"kind": {"type": "string", "enum": ["book", "film"]}}},
                ]
            },
        },
    },
}


def _rule(*matchers: dict[str, Any]) -> dict[str, Any]:
    return {"matchers": list(matchers)}


def _pact(tmp_path: Path, *interactions: dict[str, Any], provider: str = "catalog") -> Path:
    path = tmp_path / "web-catalog.json"
    path.write_text(
        json.dumps(
            {
                "consumer": {"name": "web"},
                "provider": {"name": provider},
                "interactions": list(interactions),
                "metadata": {"pactSpecification": {"version": "4.0"}},
            }
        )
    )
    return path


def _http(
    request: dict[str, Any], response: dict[str, Any], description: str = "it"
) -> dict[str, Any]:
    return {
        "type": "Synchronous/HTTP",
        "description": description,
        "request": request,
        "response": response,
    }


def _json_body(value: Any) -> dict[str, Any]:
    return {"content": value, "contentType": "application/json", "encoded": False}


def _problems(
    tmp_path: Path,
    request: dict[str, Any],
    response: dict[str, Any],
    document: dict[str, Any] = SPEC,
) -> list[str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(document))
    report = check_pacts_against_spec([_pact(tmp_path, _http(request, response))], spec)
    return [str(p) for r in report.results for p in r.problems]


GET_ITEM = {"method": "GET", "path": "/items/7"}


def _item_response(body: Any, rules: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": _json_body(body),
    }
    if rules:
        response["matchingRules"] = {"body": rules}
    return response


@pytest.mark.parametrize(
    ("pact", "service"),
    [
        ("gateway-orders.json", "orders"),
        ("gateway-inventory.json", "inventory"),
        ("orders-inventory.json", "inventory"),
        ("orders-payments.json", "payments"),
    ],
)
def test_every_shop_pact_is_supported_by_its_provider_spec(pact: str, service: str) -> None:
    report = check_pacts_against_spec([SHOP / "pacts" / pact], SHOP / service / "openapi.yaml")
    assert [] == [str(p) for r in report.results for p in r.problems]
    assert report.results and all(r.operation for r in report.results)


def test_shop_directory_is_filtered_to_the_spec_title_and_exits_0() -> None:
    """Given the whole pacts folder, only the pacts whose provider is the spec's title count."""
    result = runner.invoke(
        app,
        [
            "contract",
            "compat",
            str(SHOP / "pacts"),
            "--openapi",
            str(SHOP / "orders" / "openapi.yaml"),
        ],
    )
    assert 0 == result.exit_code, result.output
    assert "gateway -> orders" in result.output
    assert "4 interaction(s), 0 not supported" in result.output
    assert "inventory" not in result.output


def test_supported_interaction_with_matchers_has_no_problem(tmp_path: Path) -> None:
    body = {"id": 1, "name": "Dune", "kind": "anything", "price": 9.5, "note": None}
    rules = {"$.kind": _rule({"match": "type"}), "$.price": _rule({"match": "decimal"})}
    assert [] == _problems(tmp_path, GET_ITEM, _item_response(body, rules))


def test_type_matcher_stands_for_any_value_of_the_type_but_not_another_type(
    tmp_path: Path,
) -> None:
    rules = {"$.id": _rule({"match": "type"})}
    assert [
        "response body $.id: the spec says integer; the pact has any string (type matcher)"
    ] == _problems(tmp_path, GET_ITEM, _item_response({"id": "seven", "name": "x"}, rules))


def test_exact_value_must_satisfy_enum_length_pattern_and_format(tmp_path: Path) -> None:
    body = {"id": 1, "name": "x" * 21, "kind": "song", "sku": "abc", "added": "tomorrow"}
    problems = _problems(tmp_path, GET_ITEM, _item_response(body))
    assert [
        "response body $.name: the spec says expected at most 20 characters, found 21; the pact has "
        + repr("x" * 21),
        "response body $.kind: the spec says expected one of ['book', 'film'], found 'song'; "
        "the pact has 'song'",
        "response body $.sku: the spec says expected to match pattern '^[A-Z]{3}-[0-9]+$', "
        "found 'abc'; the pact has 'abc'",
        "response body $.added: the spec says expected format date, found 'tomorrow'; "
        "the pact has 'tomorrow'",
    ] == problems


def test_integer_and_decimal_matchers_are_checked_against_the_schema_type(
    tmp_path: Path,
) -> None:
    rules = {"$.id": _rule({"match": "decimal"}), "$.price": _rule({"match": "integer"})}
    body = {"id": 1.5, "name": "x", "price": 3}
    assert [
        "response body $.id: the spec says integer; the pact has any decimal number (decimal matcher)"
    ] == _problems(tmp_path, GET_ITEM, _item_response(body, rules))


def test_date_matcher_against_a_date_time_format_is_reported(tmp_path: Path) -> None:
    rules = {"$.added": _rule({"match": "datetime", "format": "yyyy-MM-dd'T'HH:mm:ss"})}
    body = {"id": 1, "name": "x", "added": "2024-01-01T10:00:00"}
    assert [
        "response body $.added: the spec says format date; the pact has a datetime matcher"
    ] == _problems(tmp_path, GET_ITEM, _item_response(body, rules))


def test_property_the_spec_does_not_declare_is_reported(tmp_path: Path) -> None:
    body = {"id": 1, "name": "x", "colour": "red"}
    assert [
        "response body $.colour: the spec says no such property; the pact has property 'colour'"
    ] == _problems(tmp_path, GET_ITEM, _item_response(body))


def test_each_like_array_checks_items_and_its_minimum_against_max_items(tmp_path: Path) -> None:
    request = {"method": "GET", "path": "/items", "query": {"tag": ["new"]}}
    rules = {"$": _rule({"match": "type", "min": 101}), "$[*].id": _rule({"match": "integer"})}
    response = _item_response([{"id": 1, "name": 5}], rules)
    assert [
        "response body $: the spec says at most 100 items; the pact has an array of at least 101 items",
        "response body $[0].name: the spec says string; the pact has any integer (type matcher)",
    ] == _problems(tmp_path, request, response)


def test_request_path_method_and_parameters_must_fit(tmp_path: Path) -> None:
    ok = {"status": 204}
    assert [
        "request path: the spec says no path template matches it; the pact has GET /nowhere"
    ] == _problems(tmp_path, {"method": "GET", "path": "/nowhere"}, ok)
    assert [
        "request method: the spec says /items/{id} allows GET; the pact has DELETE"
    ] == _problems(tmp_path, {"method": "DELETE", "path": "/items/3"}, ok)
    assert [
        "request path parameter id: the spec says expected integer, found string 'abc'; "
        "the pact has 'abc'"
    ] == _problems(tmp_path, {"method": "GET", "path": "/items/abc"}, _item_response({"id": 1}))
    query = {"limit": ["500"], "sort": ["name"]}
    assert [
        "request query parameter limit: the spec says expected at most 50, found 500; the pact has '500'",
        "request query parameter tag: the spec says it is required; the pact has nothing",
        "request query parameter sort: the spec says no such parameter; the pact has 'name'",
    ] == _problems(
        tmp_path, {"method": "GET", "path": "/items", "query": query}, _item_response([])
    )


def test_request_body_is_checked_with_all_of_and_content_type(tmp_path: Path) -> None:
    created = {"status": 201, "body": _json_body({"id": 1, "name": "x"})}
    post = {"method": "POST", "path": "/items", "headers": {"Content-Type": "application/json"}}
    assert [] == _problems(
        tmp_path, {**post, "body": _json_body({"name": "x", "kind": "book"})}, created
    )
    assert [
        "request body $.kind: the spec says expected one of ['book', 'film'], found 'song'; the pact has 'song'",
        "request body $.name: the spec says a required property; the pact has nothing",
    ] == _problems(tmp_path, {**post, "body": _json_body({"kind": "song"})}, created)
    text = {
        "method": "POST",
        "path": "/items",
        "headers": {"Content-Type": "text/plain"},
        "body": {"content": "x", "contentType": "text/plain"},
    }
    assert [
        "request body content type: the spec says one of application/json; the pact has text/plain"
    ] == _problems(tmp_path, text, created)
    assert ["request body: the spec says it is required; the pact has no body"] == _problems(
        tmp_path, post, created
    )


def test_response_status_uses_code_then_range_then_default(tmp_path: Path) -> None:
    post = {
        "method": "POST",
        "path": "/items",
        "headers": {"Content-Type": "application/json"},
        "body": _json_body({"name": "x"}),
    }
    assert [] == _problems(tmp_path, post, {"status": 409})
    assert ["response status: the spec says one of 201, 4XX; the pact has 500"] == _problems(
        tmp_path, post, {"status": 500}
    )
    assert [] == _problems(
        tmp_path, GET_ITEM, {"status": 404, "body": _json_body({"detail": "no"})}
    )


def test_response_headers_must_be_declared(tmp_path: Path) -> None:
    post = {
        "method": "POST",
        "path": "/items",
        "headers": {"Content-Type": "application/json"},
        "body": _json_body({"name": "x"}),
    }
    response = {"status": 201, "headers": {"Location": "/items/1", "X-Trace": "abc"}}
    assert [
        "response header x-trace: the spec says no such header; the pact has 'abc'"
    ] == _problems(tmp_path, post, response)


def test_security_requirement_needs_credentials_in_the_request(tmp_path: Path) -> None:
    assert [
        "request security: the spec says credentials for bearer; the pact has none of them"
    ] == _problems(tmp_path, {"method": "GET", "path": "/private"}, {"status": 204})
    signed = {"method": "GET", "path": "/private", "headers": {"Authorization": "Bearer t"}}
    assert [] == _problems(tmp_path, signed, {"status": 204})


def test_server_base_path_in_front_of_the_request_path_is_accepted(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "servers": [{"url": "https://api.example.com/v2"}]}))
    pact = _pact(
        tmp_path, _http({"method": "GET", "path": "/v2/items/3"}, _item_response({"id": 3}))
    )
    report = check_pacts_against_spec([pact], spec)
    assert ["GET /items/{id}"] == [r.operation for r in report.results]
    assert report.supported


def test_message_interactions_are_skipped_not_failed(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    message = {
        "type": "Asynchronous/Messages",
        "description": "an event",
        "contents": _json_body({}),
    }
    report = check_pacts_against_spec([_pact(tmp_path, message)], spec)
    assert "a message interaction (not HTTP)" == report.results[0].skipped
    assert report.supported


def test_json_report_and_exit_1_name_the_spec_pointer(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    pact = _pact(tmp_path, _http(GET_ITEM, _item_response({"id": "x", "name": "n"})))
    result = runner.invoke(
        app, ["contract", "compat", str(pact), "--openapi", str(spec), "--format", "json"]
    )
    assert 1 == result.exit_code
    data = json.loads(result.output)
    assert False is data["supported"]
    assert [
        {
            "where": "response body $.id",
            "spec": "integer",
            "pact": "string 'x'",
            "pointer": "/components/schemas/Item/properties/id",
        }
    ] == data["interactions"][0]["problems"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openapi: 2.0\npaths: {}\n", "$.openapi: expected OpenAPI 3.0 or 3.1, found '2.0'"),
        (
            "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      responses: {}\n",
            "$.paths['/a'].get.responses: expected at least one response",
        ),
        (
            "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      parameters: [{name: x, in: body}]\n"
            "      responses: {'200': {description: ok}}\n",
            "$.paths['/a'].get.parameters[0].in: expected one of path, query, header, cookie",
        ),
        (
            "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      responses:\n"
            "        '200': {$ref: '#/components/responses/Gone'}\n",
            "$.paths['/a'].get.responses['200'].$ref: expected a reference inside the document, "
            "found '#/components/responses/Gone'",
        ),
        (
            "openapi: 3.1.0\npaths: {}\ncomponents:\n  schemas:\n"
            "    A: {type: object, properties: {n: {type: string, maxLength: ten}}}\n",
            "$.components.schemas.A.properties.n.maxLength: expected a number",
        ),
        (
            "openapi: 3.1.0\npaths: {}\ncomponents:\n  schemas:\n    A: {pattern: '[a-'}\n",
            "$.components.schemas.A.pattern: expected a regular expression",
        ),
    ],
)
def test_malformed_spec_names_the_file_and_json_path(
    tmp_path: Path, text: str, expected: str
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    with pytest.raises(SourceError) as caught:
        check_pacts_against_spec([SHOP / "pacts"], spec)
    assert f"{spec}:{expected}" == str(caught.value)


def test_bad_input_exits_2_without_a_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("openapi: 3.1.0\npaths: {\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "interlock",
            "contract",
            "compat",
            str(SHOP / "pacts"),
            "--openapi",
            str(spec),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == done.returncode
    assert f"{spec}:3:1: not valid YAML" in done.stderr
    assert "Traceback" not in done.stderr


def test_extra_request_property_is_allowed_unless_the_schema_forbids_it(tmp_path: Path) -> None:
    """A provider ignores what it does not know; only `additionalProperties: false` refuses it."""
    created = {"status": 201}
    post = {
        "method": "POST",
        "path": "/items",
        "headers": {"Content-Type": "application/json"},
        "body": _json_body({"name": "x", "gift": True}),
    }
    assert [] == _problems(tmp_path, post, created)
    closed = copy.deepcopy(SPEC)
    closed["components"]["schemas"]["NewItem"]["additionalProperties"] = False
    assert [
        "request body $.gift: the spec says no such property; the pact has property 'gift'"
    ] == _problems(tmp_path, post, created, closed)


def test_value_fitting_no_alternative_names_them(tmp_path: Path) -> None:
    assert [] == _problems(tmp_path, GET_ITEM, _item_response({"id": 1, "code": True}))
    assert [
        "response body $.code: the spec says one of the oneOf alternatives (boolean, integer); "
        "the pact has 'x'"
    ] == _problems(tmp_path, GET_ITEM, _item_response({"id": 1, "code": "x"}))
