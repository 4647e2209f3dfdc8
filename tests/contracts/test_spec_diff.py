"""`interlock contract diff`: changes between two OpenAPI versions and the consumers they break."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.contracts import ChangeSeverity, diff_specs

runner = CliRunner()
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
B, P, C = ChangeSeverity.breaking, ChangeSeverity.possibly_breaking, ChangeSeverity.compatible

BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "catalog", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Item"},
                                }
                            }
                        },
                    },
                    "404": {"description": "none"},
                },
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}},
                        "application/xml": {"schema": {"type": "object"}},
                    }
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    }
                },
            },
        },
        "/items/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["book", "film"]},
                    "note": {"type": "string"},
                },
            },
            "NewItem": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 50},
                    "kind": {"type": "string", "enum": ["book", "film"]},
                    "note": {"type": "string"},
                },
            },
        }
    },
}

Edit = Callable[[dict[str, Any]], None]


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _get_items(spec: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/items"]["get"]
    return operation


def _post_items(spec: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/items"]["post"]
    return operation


def _write(tmp_path: Path, name: str, spec: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _changes(tmp_path: Path, edit: Edit) -> list[tuple[str, ChangeSeverity, str]]:
    new = copy.deepcopy(BASE)
    edit(new)
    diff = diff_specs(_write(tmp_path, "old.yaml", BASE), _write(tmp_path, "new.yaml", new))
    return [(c.kind, c.severity, c.message) for c in diff.changes]


CASES: list[tuple[str, Edit, tuple[str, ChangeSeverity, str]]] = [
    (
        "removed path",
        lambda s: s["paths"].pop("/items/{id}"),
        ("path-removed", B, "GET /items/{id}: path removed"),
    ),
    (
        "removed operation",
        lambda s: s["paths"]["/items"].pop("post"),
        ("operation-removed", B, "POST /items: operation removed"),
    ),
    (
        "removed 2xx response",
        lambda s: _get_items(s)["responses"].pop("200"),
        ("response-status-removed", B, "GET /items: response 200 removed"),
    ),
    (
        "removed error response",
        lambda s: _get_items(s)["responses"].pop("404"),
        ("response-status-removed", P, "GET /items: response 404 removed"),
    ),
    (
        "new required parameter",
        lambda s: _get_items(s)["parameters"].append(
            {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
        ),
        ("parameter-added-required", B, "GET /items: new required header parameter X-Tenant"),
    ),
    (
        "parameter made required",
        lambda s: _get_items(s)["parameters"][0].update(required=True),
        ("parameter-made-required", B, "GET /items: query parameter limit is now required"),
    ),
    (
        "parameter maximum narrowed",
        lambda s: _get_items(s)["parameters"][0]["schema"].update(maximum=10),
        (
            "request-max-narrowed",
            B,
            "GET /items query parameter limit $: maximum changed from 100 to 10",
        ),
    ),
    (
        "path parameter type changed",
        lambda s: s["paths"]["/items/{id}"]["get"]["parameters"][0]["schema"].update(type="string"),
        (
            "request-type-widened",
            C,
            "GET /items/{id} path parameter id $: type changed from integer to string",
        ),
    ),
    (
        "request type changed",
        lambda s: _schemas(s)["NewItem"]["properties"]["note"].update(type="integer"),
        (
            "request-type-changed",
            B,
            "POST /items request body $.note: type changed from string to integer",
        ),
    ),
    (
        "request enum value removed",
        lambda s: _schemas(s)["NewItem"]["properties"]["kind"].update(enum=["book"]),
        (
            "enum-value-removed",
            B,
            "POST /items request body $.kind: enum value(s) ['film'] removed",
        ),
    ),
    (
        "response enum value added",
        lambda s: _schemas(s)["Item"]["properties"]["kind"]["enum"].append("song"),
        (
            "enum-value-added",
            P,
            "GET /items response 200 body $[*].kind: enum value(s) ['song'] added (and 1 more place(s))",
        ),
    ),
    (
        "new required request property",
        lambda s: (
            _schemas(s)["NewItem"]["properties"].update(price={"type": "number"}),
            _schemas(s)["NewItem"]["required"].append("price"),
        ),
        (
            "request-property-added-required",
            B,
            "POST /items request body $.price: new required property",
        ),
    ),
    (
        "request property made required",
        lambda s: _schemas(s)["NewItem"]["required"].append("note"),
        (
            "request-property-made-required",
            B,
            "POST /items request body $.note: property is now required",
        ),
    ),
    (
        "request maxLength narrowed",
        lambda s: _schemas(s)["NewItem"]["properties"]["name"].update(maxLength=10),
        (
            "request-max-narrowed",
            B,
            "POST /items request body $.name: maxLength changed from 50 to 10",
        ),
    ),
    (
        "response property removed",
        lambda s: _schemas(s)["Item"]["properties"].pop("note"),
        (
            "response-property-removed",
            B,
            "GET /items response 200 body $[*].note: property removed (and 1 more place(s))",
        ),
    ),
    (
        "response property made nullable (3.1 type list)",
        lambda s: _schemas(s)["Item"]["properties"]["note"].update(type=["string", "null"]),
        (
            "response-made-nullable",
            B,
            "GET /items response 200 body $[*].note: may now be null (and 1 more place(s))",
        ),
    ),
    (
        "response property made nullable (anyOf with null)",
        lambda s: _schemas(s)["Item"]["properties"].update(
            note={"anyOf": [{"type": "string"}, {"type": "null"}]}
        ),
        (
            "response-made-nullable",
            B,
            "GET /items response 200 body $[*].note: may now be null (and 1 more place(s))",
        ),
    ),
    (
        "request content type removed",
        lambda s: _post_items(s)["requestBody"]["content"].pop("application/xml"),
        (
            "request-content-type-removed",
            B,
            "POST /items: request content type application/xml removed",
        ),
    ),
    (
        "security requirement added",
        lambda s: (
            s["components"].update(
                securitySchemes={"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
            ),
            _get_items(s).update(security=[{"key": []}]),
        ),
        ("security-added", B, "GET /items: security now requires key"),
    ),
    (
        "required response header removed",
        lambda s: _post_items(s)["responses"]["201"].pop("headers"),
        ("response-header-removed", B, "POST /items: response 201 header Location removed"),
    ),
    (
        "new optional property",
        lambda s: _schemas(s)["NewItem"]["properties"].update(colour={"type": "string"}),
        ("request-property-added", C, "POST /items request body $.colour: new optional property"),
    ),
    (
        "operation added",
        lambda s: s["paths"]["/items/{id}"].update(
            delete={"responses": {"204": {"description": "gone"}}}
        ),
        ("operation-added", C, "DELETE /items/{id}: operation added"),
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [(e, x) for _, e, x in CASES], ids=[n for n, _, _ in CASES]
)
def test_each_kind_of_change_is_found_with_its_severity(
    tmp_path: Path, edit: Edit, expected: tuple[str, ChangeSeverity, str]
) -> None:
    assert [expected] == _changes(tmp_path, edit)


def test_renamed_path_parameter_is_not_a_change_but_its_type_is(tmp_path: Path) -> None:
    def rename(spec: dict[str, Any]) -> None:
        item = spec["paths"].pop("/items/{id}")
        item["get"]["parameters"][0]["name"] = "item_id"
        spec["paths"]["/items/{item_id}"] = item

    assert [] == _changes(tmp_path, rename)

    def rename_and_narrow(spec: dict[str, Any]) -> None:
        rename(spec)
        spec["paths"]["/items/{item_id}"]["get"]["parameters"][0]["schema"]["minimum"] = 1

    assert [
        (
            "request-min-narrowed",
            B,
            "GET /items/{item_id} path parameter item_id $: minimum changed from none to 1",
        )
    ] == _changes(tmp_path, rename_and_narrow)


def test_a_shared_component_change_is_one_change_with_pointers_and_every_place(
    tmp_path: Path,
) -> None:
    new = copy.deepcopy(BASE)
    _schemas(new)["Item"]["properties"].pop("note")
    diff = diff_specs(_write(tmp_path, "old.yaml", BASE), _write(tmp_path, "new.yaml", new))
    (change,) = diff.changes
    assert "/components/schemas/Item/properties/note" == change.old_pointer
    assert "/components/schemas/Item" == change.new_pointer
    assert (
        "GET /items response 200 body $[*].note",
        "POST /items response 201 body $.note",
    ) == change.places


def test_without_pacts_any_breaking_change_exits_1_and_compatible_ones_exit_0(
    tmp_path: Path,
) -> None:
    old = _write(tmp_path, "old.yaml", BASE)
    wider = copy.deepcopy(BASE)
    _schemas(wider)["NewItem"]["properties"]["name"]["maxLength"] = 80
    narrower = copy.deepcopy(BASE)
    _schemas(narrower)["NewItem"]["properties"]["name"]["maxLength"] = 5
    ok = runner.invoke(app, ["contract", "diff", str(old), str(_write(tmp_path, "w.yaml", wider))])
    assert 0 == ok.exit_code, ok.output
    assert (
        "compatible  POST /items request body $.name: maxLength changed from 50 to 80" in ok.output
    )
    bad = runner.invoke(
        app, ["contract", "diff", str(old), str(_write(tmp_path, "n.yaml", narrower))]
    )
    assert 1 == bad.exit_code
    assert "BREAKING  POST /items request body $.name: maxLength changed from 50 to 5" in bad.output


def _shop_spec(edit: Edit, tmp_path: Path) -> Path:
    spec = yaml.safe_load((SHOP / "orders" / "openapi.yaml").read_text())
    edit(spec)
    return _write(tmp_path, "orders-next.yaml", spec)


def _drop_payment_id(spec: dict[str, Any]) -> None:
    order = spec["components"]["schemas"]["Order"]
    order["properties"].pop("payment_id")
    order["required"].remove("payment_id")


def test_removing_a_property_the_gateway_reads_breaks_its_interactions(tmp_path: Path) -> None:
    """The provider learns whom to talk to: gateway's two interactions that read payment_id."""
    new = _shop_spec(_drop_payment_id, tmp_path)
    diff = diff_specs(SHOP / "orders" / "openapi.yaml", new, [SHOP / "pacts"])
    (change,) = diff.changes
    assert ("response-property-removed", B) == (change.kind, change.severity)
    assert [
        ("gateway", "a request for an existing order"),
        ("gateway", "a request to order 3 of product 2"),
    ] == sorted((b.consumer, b.description) for b in change.breaks)
    assert (
        "response body $.payment_id: the spec says no such property; "
        "the pact has property 'payment_id'",
    ) == change.breaks[0].reasons
    assert diff.hits_consumer and diff.failed
    assert (str(SHOP / "pacts" / "gateway-orders.json"),) == diff.pact_files


def test_diff_cli_with_pacts_names_the_consumer_and_exits_1(tmp_path: Path) -> None:
    new = _shop_spec(_drop_payment_id, tmp_path)
    result = runner.invoke(
        app,
        [
            "contract",
            "diff",
            str(SHOP / "orders" / "openapi.yaml"),
            str(new),
            "--pacts",
            str(SHOP / "pacts"),
        ],
    )
    assert 1 == result.exit_code, result.output
    assert "breaks gateway: a request for an existing order" in result.output
    assert "breaks gateway" in result.output.splitlines()[-1]
    data = json.loads(
        runner.invoke(
            app,
            [
                "contract",
                "diff",
                str(SHOP / "orders" / "openapi.yaml"),
                str(new),
                "--pacts",
                str(SHOP / "pacts"),
                "--format",
                "json",
            ],
        ).output
    )
    assert True is data["hits_consumer"]
    assert ["gateway", "gateway"] == [b["consumer"] for b in data["changes"][0]["breaks"]]


def test_breaking_change_no_consumer_uses_exits_0_with_pacts(tmp_path: Path) -> None:
    """A new required header on /health breaks nobody who has a pact, so the provider may ship."""

    def require_header(spec: dict[str, Any]) -> None:
        spec["paths"]["/health"]["get"]["parameters"] = [
            {"name": "X-Probe", "in": "header", "required": True, "schema": {"type": "string"}}
        ]

    new = _shop_spec(require_header, tmp_path)
    old = SHOP / "orders" / "openapi.yaml"
    with_pacts = runner.invoke(
        app, ["contract", "diff", str(old), str(new), "--pacts", str(SHOP / "pacts")]
    )
    assert 0 == with_pacts.exit_code, with_pacts.output
    assert "no consumer broken (1 pact file(s))" in with_pacts.output
    without = runner.invoke(app, ["contract", "diff", str(old), str(new)])
    assert 1 == without.exit_code


def test_removed_error_response_a_consumer_expects_counts_as_breaking_it(tmp_path: Path) -> None:
    """A 'possibly breaking' change that does break a pact interaction fails the run."""
    new = _shop_spec(
        lambda s: s["paths"]["/orders/{order_id}"]["get"]["responses"].pop("404"), tmp_path
    )
    diff = diff_specs(SHOP / "orders" / "openapi.yaml", new, [SHOP / "pacts"])
    (change,) = diff.changes
    assert (P, ("gateway",)) == (change.severity, tuple(b.consumer for b in change.breaks))
    assert diff.failed


def test_identical_specs_have_no_change() -> None:
    spec = SHOP / "inventory" / "openapi.yaml"
    result = runner.invoke(
        app, ["contract", "diff", str(spec), str(spec), "--pacts", str(SHOP / "pacts")]
    )
    assert 0 == result.exit_code, result.output
    assert "0 change(s)" in result.output


def test_malformed_new_spec_exits_2_naming_file_and_json_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"openapi": "3.1.0", "paths": {"/a": []}}')
    old = str(SHOP / "orders" / "openapi.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "interlock", "contract", "diff", old, str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == done.returncode
    assert f"{bad}:$.paths['/a']: expected an object (a path item)" in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr


def test_interaction_the_old_spec_already_refuses_is_noted_not_blamed(tmp_path: Path) -> None:
    pact = json.loads((SHOP / "pacts" / "gateway-orders.json").read_text())
    pact["interactions"].append(
        {
            "type": "Synchronous/HTTP",
            "description": "a request for an order's items",
            "request": {"method": "GET", "path": "/orders/1/items"},
            "response": {"status": 200},
        }
    )
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    (pacts / "gateway-orders.json").write_text(json.dumps(pact))
    new = _shop_spec(lambda s: s["paths"]["/health"]["get"].update(summary="Alive"), tmp_path)
    diff = diff_specs(SHOP / "orders" / "openapi.yaml", new, [pacts])
    assert [("gateway", "a request for an order's items")] == [
        (a.consumer, a.description) for a in diff.already_unsupported
    ]
    assert not diff.hits_consumer and not diff.failed
