"""The JSON API under /api, through an in-process client over a small catalog."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from interlock.store import latest_catalog_load


def test_catalog_lists_nodes_edges_files_and_load_time(client: httpx.Client) -> None:
    body = client.get("/api/catalog").json()
    ids = {node["id"] for node in body["nodes"]}
    assert {"service:storefront", "service:stock", "api:stock-api", "table:stockdb.items"} <= ids
    assert {"source": "service:storefront", "target": "service:stock", "kind": "calls"}.items() <= (
        next(e for e in body["edges"] if e["kind"] == "calls").items()
    )
    assert 2 == len(body["files"])
    assert [] == body["findings"]
    assert body["loaded_at"].endswith("+00:00")
    assert 64 == len(body["digest"])


def test_startup_records_the_catalog_load(client: httpx.Client, app: FastAPI) -> None:
    """The server writes one `catalog_loads` row on start, matching what it serves."""
    body = client.get("/api/catalog").json()
    load = latest_catalog_load(app.state.engine)
    assert load is not None
    assert body["digest"] == load.digest
    assert len(body["nodes"]) == load.node_count
    assert len(body["edges"]) == load.edge_count
    assert 0 == load.finding_count


def test_map_is_the_graph_as_json(client: httpx.Client) -> None:
    body = client.get("/api/map").json()
    assert {"nodes", "edges"} == set(body)
    kinds = {node["kind"] for node in body["nodes"]}
    assert {"service", "api", "database", "table", "team"} == kinds


def test_services_index_has_one_row_per_service(client: httpx.Client) -> None:
    rows = client.get("/api/services").json()
    assert ["stock", "storefront"] == [row["name"] for row in rows]
    assert {"team-web", "team-stock"} == {row["owner"] for row in rows}
    assert ["stockdb"] == rows[0]["databases"]


def test_service_shows_owner_apis_calls_and_tables(client: httpx.Client) -> None:
    body = client.get("/api/services/storefront").json()
    assert "team-web" == body["owner"]
    assert "production" == body["lifecycle"]
    assert "storefront-web" == body["telemetry_name"]
    assert "storefront" == body["pact_name"]
    assert ["stock-api"] == [api["name"] for api in body["consumes"]]
    assert ["stock"] == body["consumes"][0]["other_services"]
    assert [{"name": "stock", "via": "stock-api"}] == body["calls"]
    assert [
        {
            "table": "items",
            "database": "stockdb",
            "owner": "stock",
            "access": "reads",
            "columns": ["id", "quantity"],
        }
    ] == body["table_access"]


def test_service_shows_owned_databases_and_who_else_reads_them(client: httpx.Client) -> None:
    body = client.get("/api/services/stock").json()
    assert [{"name": "storefront", "via": "stock-api"}] == body["called_by"]
    assert "stock-openapi.yaml" == body["provides"][0]["definition_path"]
    (database,) = body["databases"]
    assert "stockdb" == database["name"]
    assert [
        {
            "name": "items",
            "columns": ["id", "name", "quantity"],
            "read_by": ["storefront"],
            "written_by": [],
        }
    ] == database["tables"]


def test_unknown_service_is_json_404_with_did_you_mean(client: httpx.Client) -> None:
    response = client.get("/api/services/stok")
    assert 404 == response.status_code
    assert "application/json" == response.headers["content-type"]
    assert {"detail": "no service named 'stok' in the catalog (did you mean 'stock'?)"} == (
        response.json()
    )


def test_unknown_api_path_is_json_404(client: httpx.Client) -> None:
    response = client.get("/api/nothing-here")
    assert 404 == response.status_code
    assert {"detail": "Not Found"} == response.json()


def test_openapi_document_describes_the_json_api(client: httpx.Client) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/api/catalog", "/api/map", "/api/services", "/api/services/{name}"} <= set(
        document["paths"]
    )
    assert "/map" not in document["paths"], "HTML pages stay out of the API document"
