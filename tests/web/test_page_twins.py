"""Every dashboard page has a JSON twin at `/api` + its path, answering with the page's data,
and links to it: found by walking the app's routes, so a new page without one fails here."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from interlock.envs import EnvironmentState, PieceState
from interlock.perf import LatencyHistogram, OperationResult, PerfRun, perf_database, save_run
from interlock.settings import Settings

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
TRACE = "5b8efff798038103d269b633813fc60c"


@pytest.fixture
def small_catalog() -> Path:
    """The example shop: services, pacts, a database contract, migrations to check."""
    return SHOP


def _page_routes(app: FastAPI) -> list[str]:
    """GET routes outside `/api` that are not in the OpenAPI document: the pages' candidates.

    Those under `/api` are the API's own (its reference page documents `/api/openapi.json`);
    a "coming" page is a placeholder with no data yet.
    """
    try:  # FastAPI >= 0.16x lists an included router as one entry; this yields its routes
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # earlier versions list every route
        routes = list(app.routes)
    return sorted(
        route.path
        for route in routes
        if "GET" in (getattr(route, "methods", None) or ())
        and not getattr(route, "include_in_schema", True)
        and not route.path.startswith("/api")
        and not str(route.name).startswith("coming-")
    )


def _record_sample_data(client: httpx.Client, app: FastAPI, settings: Settings) -> dict[str, str]:
    """A trace, a migration report, an open incident (its alert fired ten minutes ago), an
    environment; and the path parameters that name them."""
    now = time.time_ns()
    span = {
        "traceId": TRACE,
        "spanId": "00f067aa0ba902b7",
        "name": "GET /orders",
        "kind": 2,
        "startTimeUnixNano": str(now - 5_000_000),
        "endTimeUnixNano": str(now),
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]}
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}
    assert 200 == client.post("/v1/traces", json=body).status_code
    assert app.state.span_store.flush(timeout=10)
    impact = subprocess.run(
        [
            sys.executable, "-m", "interlock", "migrate", "impact", str(SHOP / "inventory" / "proposed" / "rename-price"),
            "--catalog", str(SHOP), "--contracts", str(SHOP / "orders" / "contracts"), "--save", str(settings.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert 1 == impact.returncode, impact.stderr
    ten_minutes_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    alert = [{"name": "HighErrorRate", "service": "orders", "starts_at": ten_minutes_ago}]
    incident = client.post("/api/alerts", json=alert).json()["alerts"][0]["incident_id"]
    state_dir = settings.data_dir / "envs" / "orders-test"
    state_dir.mkdir(parents=True)
    state = EnvironmentState(
        name="orders-test",
        file="interlock-env.yaml",
        state_dir=str(state_dir),
        pieces=[PieceState(name="payments", kind="real", url="http://127.0.0.1:9", pid=None)],
        variables={"PAYMENTS_URL": "http://127.0.0.1:9"},
    )
    (state_dir / "state.json").write_text(json.dumps(state.to_json()))
    # a chaos experiment's journal, in Chaos Toolkit's format, as `interlock chaos run` keeps it
    journals = settings.data_dir / "chaos" / "journals"
    journals.mkdir(parents=True)
    # named like the sample service: one `{name}` sample serves every route
    (journals / "orders.json").write_text(
        json.dumps(
            {
                "chaoslib-version": "1.44.0",
                "experiment": {"title": "orders stays up when payments is slow"},
                "start": "2026-12-08T00:00:00",
                "end": "2026-12-08T00:00:05",
                "duration": 5.0,
                "status": "completed",
                "deviated": False,
                "steady_states": {"before": None, "after": None, "during": []},
                "run": [],
                "rollbacks": [],
            }
        )
    )
    histogram = LatencyHistogram.of([5.0, 7.5, 9.0, 12.0])
    operation = OperationResult("POST /orders", 4, 0, histogram, histogram, {"201": 4})
    started = datetime(2026, 12, 1, tzinfo=UTC)
    timeline = [{"t": 0, "requests": 4, "errors": 0, "p50_ms": 8.0, "p95_ms": 12.0, "max_ms": 12.0}]
    run = PerfRun(
        "orders", "base", "http://x", started, 1.0, 4.0, {operation.name: operation}, timeline, {}
    )
    with perf_database(settings.database_url) as engine:
        run_id = save_run(engine, run)
    return {
        "run_id": str(run_id),
        "name": "orders",
        "consumer": "gateway",
        "provider": "orders",
        "trace_id": TRACE,
        "report_id": client.get("/api/migrations").json()[0]["id"],
        "incident_id": str(incident),
    }


def test_every_page_links_its_json_twin_at_api_plus_its_path(
    client: httpx.Client, app: FastAPI, settings: Settings
) -> None:
    """For each HTML page: `/api` + its path answers 200 JSON with data, and the page links it."""
    samples = _record_sample_data(client, app, settings)
    pages: list[str] = []
    for route in _page_routes(app):
        unknown = [p for p in route.split("{")[1:] if p.split("}")[0] not in samples]
        assert not unknown, f"{route}: give this test a sample for {unknown}"
        path = route.format(**samples)
        page = client.get(path)
        if not page.headers["content-type"].startswith("text/html"):
            continue  # a file or a JSON document of its own (the broker's index), not a page
        assert 200 == page.status_code, path
        pages.append(route)
        twin = "/api" + path
        answer = client.get(twin)
        assert (200, "application/json") == (
            answer.status_code,
            answer.headers["content-type"],
        ), twin
        assert answer.json(), f"{twin}: no data, though the sample has some"
        assert f'href="{twin}"' in page.text or f'href="{twin}?' in page.text, (
            f"{path} does not link {twin}"
        )
    # the walk found the pages (a change in how routes are listed cannot empty it silently)
    assert {"/", "/stubs", "/services/{name}", "/traces/{trace_id}"} <= set(pages)


def test_the_stubs_page_twin_keeps_its_first_name(client: httpx.Client) -> None:
    """`/api/environments`, the twin's earlier address, still answers the same."""
    assert client.get("/api/stubs").json() == client.get("/api/environments").json()
