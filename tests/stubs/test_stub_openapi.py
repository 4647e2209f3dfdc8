"""Stubs served from OpenAPI documents: examples, generated bodies, request validation (422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from interlock.contracts import validate_schema as validate
from interlock.stubs import StubServer

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Payments", "version": "1"},
    "paths": {
        "/payments/{id}": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "get": {
                "operationId": "get_payment",
                "parameters": [
                    {
                        "name": "X-Tenant",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "view", "in": "query", "schema": {"enum": ["short", "full"]}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}
                        },
                    },
                    "404": {"description": "missing"},
                },
            },
        },
        "/payments": {
            "post": {
                "operationId": "create_payment",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewPayment"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {"example": {"id": 42, "status": "pending"}}
                        },
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Payment": {
                "type": "object",
                "required": ["id", "amount", "currency"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "amount": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "currency": {"type": "string", "enum": ["EUR", "USD"]},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "NewPayment": {
                "type": "object",
                "required": ["amount", "currency"],
                "additionalProperties": False,
                "properties": {
                    "amount": {"type": "integer", "minimum": 1},
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "note": {"type": ["string", "null"], "maxLength": 5},
                },
            },
        }
    },
}


@pytest.fixture
def payments_spec(stub_files: Callable[[str, object], str]) -> str:
    return stub_files("payments.json", SPEC)


@pytest.mark.server
def test_openapi_stub_answers_with_the_example(
    stub_serve: Callable[..., StubServer], payments_spec: str
) -> None:
    url = stub_serve(payments_spec).app.urls["payments"]
    response = httpx.post(f"{url}/payments", json={"amount": 5, "currency": "EUR"})
    assert 201 == response.status_code
    assert {"id": 42, "status": "pending"} == response.json()


@pytest.mark.server
def test_openapi_stub_generates_a_valid_body_deterministically_by_seed(
    stub_serve: Callable[..., StubServer], payments_spec: str
) -> None:
    headers = {"X-Tenant": "acme"}
    first = httpx.get(
        f"{stub_serve(payments_spec, seed=1).app.urls['payments']}/payments/3", headers=headers
    )
    again = httpx.get(
        f"{stub_serve(payments_spec, seed=1).app.urls['payments']}/payments/3", headers=headers
    )
    other = httpx.get(
        f"{stub_serve(payments_spec, seed=2).app.urls['payments']}/payments/3", headers=headers
    )
    assert 200 == first.status_code
    assert first.json() == again.json()
    assert first.json() != other.json()
    assert [] == validate(SPEC["components"]["schemas"]["Payment"], first.json(), SPEC)


@pytest.mark.server
def test_openapi_stub_answers_422_with_every_violation(
    stub_serve: Callable[..., StubServer], payments_spec: str
) -> None:
    url = stub_serve(payments_spec).app.urls["payments"]
    response = httpx.get(f"{url}/payments/0", params={"view": "long"})
    assert 422 == response.status_code
    assert [
        "path parameter id: expected at least 1, found 0",
        "header parameter X-Tenant: required but missing",
        "query parameter view: expected one of ['short', 'full'], found 'long'",
    ] == response.json()["violations"]


@pytest.mark.server
def test_openapi_stub_validates_the_json_body(
    stub_serve: Callable[..., StubServer], payments_spec: str
) -> None:
    url = stub_serve(payments_spec).app.urls["payments"]
    response = httpx.post(f"{url}/payments", json={"amount": "5", "currency": "eur", "x": 1})
    assert 422 == response.status_code
    assert [
        "body $.amount: expected integer, found string '5'",
        "body $.currency: expected to match pattern '^[A-Z]{3}$', found 'eur'",
        "body $.x: property not allowed by the schema",
    ] == response.json()["violations"]


def test_schema_validator_follows_refs_and_combinators() -> None:
    root = {
        "components": {
            "schemas": {
                "Cat": {
                    "type": "object",
                    "required": ["meow"],
                    "properties": {"meow": {"type": "boolean"}},
                },
                "Dog": {
                    "type": "object",
                    "required": ["bark"],
                    "properties": {"bark": {"type": "boolean"}},
                },
            }
        }
    }
    pet = {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}
    assert [] == validate(pet, {"meow": True}, root)
    assert ["$: expected to match exactly one schema of oneOf, matched 0"] == validate(
        pet, {}, root
    )
    both = {"allOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}
    assert ["$.bark: required property is missing"] == validate(both, {"meow": True}, root)
    assert ["$: expected to match at least one schema of anyOf"] == validate(
        {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "x", root
    )


def test_schema_validator_checks_formats_bounds_and_nullable() -> None:
    assert [] == validate({"type": "string", "nullable": True}, None, {})
    assert ["$: expected format uuid, found 'nope'"] == validate(
        {"type": "string", "format": "uuid"}, "nope", {}
    )
    assert ["$: expected format date-time, found '2024-13-01'"] == validate(
        {"type": "string", "format": "date-time"}, "2024-13-01", {}
    )
    assert ["$: expected at most 3 characters, found 4"] == validate({"maxLength": 3}, "abcd", {})
    assert ["$: expected less than 10, found 10"] == validate(
        {"type": "number", "exclusiveMaximum": 10}, 10, {}
    )
    assert ["$: expected more than 0, found 0"] == validate(
        {"type": "number", "minimum": 0, "exclusiveMinimum": True}, 0, {}
    )
    assert ["$[1]: expected integer, found string 'b'"] == validate(
        {"type": "array", "items": {"type": "integer"}}, [1, "b"], {}
    )


def test_openapi_document_with_a_bad_version_names_the_file_and_place(
    stub_files: Callable[[str, object], str],
) -> None:
    from interlock.errors import SourceError
    from interlock.stubs import load_services

    path = stub_files("old.json", {"openapi": "2.0", "paths": {}})
    with pytest.raises(SourceError) as caught:
        load_services([path])
    assert f"{path}:$.openapi: expected OpenAPI 3.0 or 3.1, found '2.0'" == str(caught.value)


@pytest.mark.server
def test_openapi_stub_answers_another_documented_status_when_preferred(
    stub_serve: Callable[..., StubServer], payments_spec: str
) -> None:
    """`Prefer: code=404` (Prism's convention) picks the documented 404."""
    url = stub_serve(payments_spec).app.urls["payments"]
    headers = {"X-Tenant": "acme", "Prefer": "code=404"}
    assert 404 == httpx.get(f"{url}/payments/3", headers=headers).status_code
