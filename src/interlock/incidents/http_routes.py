"""The incident routes of `interlock server`: alert webhooks, change events, acknowledge
and resolve, and `/metrics`; `mount_incidents` puts the desk on `app.state.incidents`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from interlock.errors import UserInputError
from interlock.incidents.changes import recent_changes
from interlock.incidents.config import IncidentSettings
from interlock.incidents.config_file import load_incident_settings
from interlock.incidents.desk import IncidentDesk
from interlock.incidents.intake_formats import parse_time
from interlock.incidents.lifecycle import TransitionRefused
from interlock.incidents.metrics_exposition import CONTENT_TYPE, exposition
from interlock.incidents.model import Incident
from interlock.incidents.records import IncidentNotFound
from interlock.incidents.watch import IncidentWatch

router = APIRouter()
MAX_BODY = 16 * 1024 * 1024


def incident_desk(request: Request) -> IncidentDesk:
    """The desk `mount_incidents` made when the server started."""
    desk: IncidentDesk = request.app.state.incidents
    return desk


def problem(error: UserInputError) -> HTTPException:
    """The HTTP error for a refused request: 404 unknown, 409 wrong state, 422 bad input."""
    if isinstance(error, IncidentNotFound):
        return HTTPException(404, str(error))
    if isinstance(error, TransitionRefused):
        return HTTPException(409, str(error))
    return HTTPException(422, str(error))


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"request body: expected at most {MAX_BODY} bytes")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise HTTPException(400, f"request body: expected JSON ({error})") from None


async def _receive(request: Request, kind: str) -> JSONResponse:
    payload = await _json_body(request)
    desk = incident_desk(request)
    try:
        results = await run_in_threadpool(desk.receive, kind, payload)
    except UserInputError as error:
        raise problem(error) from None
    return JSONResponse({"received": len(results), "alerts": [r.to_json() for r in results]})


@router.post("/api/alerts/alertmanager", tags=["incidents"])
async def alertmanager_webhook(request: Request) -> JSONResponse:
    """Prometheus Alertmanager's webhook receiver (payload version 4)."""
    return await _receive(request, "alertmanager")


@router.post("/api/alerts/grafana", tags=["incidents"])
async def grafana_webhook(request: Request) -> JSONResponse:
    """Grafana alerting's webhook contact point."""
    return await _receive(request, "grafana")


@router.post("/api/alerts", tags=["incidents"])
async def plain_alerts(request: Request) -> JSONResponse:
    """One alert or a list in Interlock's plain form (`name` required)."""
    return await _receive(request, "plain")


@router.post("/api/changes", tags=["incidents"], status_code=201)
async def post_change(request: Request) -> JSONResponse:
    """Record a change event: `service`, `kind`, `version`, `environment`, `summary`."""
    payload = await _json_body(request)
    if not isinstance(payload, dict):
        raise HTTPException(422, "$: expected a JSON object")
    fields = _change_fields(payload)
    desk = incident_desk(request)
    try:
        change = await run_in_threadpool(lambda: desk.record_change(**fields))
    except UserInputError as error:
        raise problem(error) from None
    return JSONResponse(change.to_json(), status_code=201)


def _change_fields(payload: dict[str, Any]) -> dict[str, Any]:
    known = ("service", "kind", "version", "environment", "summary", "occurred_at", "attributes")
    for key in payload:
        if key not in known:
            raise HTTPException(422, f"$.{key}: unknown field, expected one of {', '.join(known)}")
    for key in ("service", "kind", "version", "environment", "summary"):
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise HTTPException(422, f"$.{key}: expected a string")
    if not isinstance(payload.get("attributes", {}), dict):
        raise HTTPException(422, "$.attributes: expected a JSON object")
    try:
        occurred = parse_time(payload.get("occurred_at"), "$.occurred_at")
    except UserInputError as error:
        raise problem(error) from None
    return {
        "service": payload.get("service") or "",
        "kind": payload.get("kind") or "",
        "version": payload.get("version"),
        "environment": payload.get("environment"),
        "summary": payload.get("summary") or "",
        "occurred_at": occurred,
        "attributes": payload.get("attributes") or {},
    }


@router.get("/api/changes", tags=["incidents"])
def get_changes(request: Request, limit: int = 50) -> list[dict[str, Any]]:
    """The latest change events, newest first."""
    return [c.to_json() for c in recent_changes(incident_desk(request).engine, limit)]


@router.post("/api/incidents/{incident_id}/acknowledge", tags=["incidents"])
async def acknowledge(incident_id: int, request: Request) -> dict[str, Any]:
    """Acknowledge an incident: body `{"actor": "...", "note": "..."}`."""
    return await _take_step(request, incident_id, incident_desk(request).acknowledge)


@router.post("/api/incidents/{incident_id}/resolve", tags=["incidents"])
async def resolve(incident_id: int, request: Request) -> dict[str, Any]:
    """Resolve an incident by hand: body `{"actor": "...", "note": "why"}`."""
    return await _take_step(request, incident_id, incident_desk(request).resolve)


async def _take_step(
    request: Request, incident_id: int, step: Callable[[int, str, str], Incident]
) -> dict[str, Any]:
    """Take a hand step (`step(incident_id, actor, note)`) the request's body describes."""
    actor, note = _step(await _json_body(request))
    try:
        incident = await run_in_threadpool(step, incident_id, actor, note)
    except UserInputError as error:
        raise problem(error) from None
    return incident.to_json()


def _step(payload: Any) -> tuple[str, str]:
    if not isinstance(payload, dict):
        raise HTTPException(422, "$: expected a JSON object with actor and note")
    actor, note = payload.get("actor"), payload.get("note", "")
    if not isinstance(actor, str) or not actor.strip():
        raise HTTPException(422, "$.actor: expected who takes this step")
    if not isinstance(note, str):
        raise HTTPException(422, "$.note: expected a string")
    return actor, note


@router.get("/metrics", tags=["incidents"], response_class=Response)
def metrics(request: Request) -> Response:
    """RED per service, operation and edge, in the Prometheus exposition format."""
    desk = incident_desk(request)
    body = exposition(desk.store, desk.names.catalog_name) if desk.store else ""
    return Response(body, media_type=CONTENT_TYPE)


def server_incident_settings(server: Any) -> IncidentSettings:
    """The defaults, the catalog's `incidents:` Config, then `INTERLOCK_INCIDENT_*`; links in
    notifications point at the server's own address."""
    from_file = load_incident_settings(server.catalog_dir, IncidentSettings())
    return replace(IncidentSettings.from_environment(base=from_file), dashboard_url=server.url)


def mount_incidents(app: FastAPI, settings: IncidentSettings | None = None) -> None:
    """Add the incident routes; on start, make the desk from the loaded catalog.

    Mount after the telemetry (whose span store it reads) and after the lifespan that
    puts `engine` and `catalog` on `app.state`.
    """
    app.include_router(router)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(owner: Any) -> AsyncIterator[Any]:
        async with previous(owner) as state:
            graph = app.state.catalog.catalog.graph
            store = getattr(app.state, "span_store", None)
            chosen = settings or server_incident_settings(app.state.settings)
            desk = IncidentDesk(app.state.engine, graph, store, chosen)
            app.state.incidents = desk
            watch = asyncio.create_task(IncidentWatch(desk).run(), name="incident watch")
            try:
                yield state
            finally:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch

    app.router.lifespan_context = lifespan
