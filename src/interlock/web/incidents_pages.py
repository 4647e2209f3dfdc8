"""The incident pages and their JSON twins: the list, one incident (timeline, alerts with
their reasons, changes, owners, failing traces), and its postmortem skeleton."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from interlock.errors import UserInputError
from interlock.incidents import (
    IncidentDesk,
    IncidentNotFound,
    IncidentReport,
    incident_desk,
    postmortem_markdown,
    problem,
)
from interlock.web.rendering import render_page

router = APIRouter()


@router.get("/api/incidents", tags=["incidents"])
def incidents_json(desk: IncidentDesk = Depends(incident_desk)) -> list[dict[str, Any]]:
    """Incidents: open first, then acknowledged, then resolved."""
    now = datetime.now(UTC)
    return [incident.to_json(now) for incident in desk.incidents()]


@router.get("/api/incidents/{incident_id}", tags=["incidents"])
def incident_json(incident_id: int, desk: IncidentDesk = Depends(incident_desk)) -> dict[str, Any]:
    """One incident with its alerts, changes, owners, transitions and failing traces."""
    return _report(desk, incident_id).to_json()


@router.get("/api/incidents/{incident_id}/postmortem.md", tags=["incidents"])
def postmortem(
    incident_id: int, request: Request, desk: IncidentDesk = Depends(incident_desk)
) -> PlainTextResponse:
    """A postmortem skeleton in Markdown: timeline, evidence, links."""
    markdown = postmortem_markdown(_report(desk, incident_id), str(request.base_url))
    return PlainTextResponse(markdown, media_type="text/markdown; charset=utf-8")


@router.get("/incidents", include_in_schema=False)
async def incidents_page(request: Request) -> Response:
    desk = incident_desk(request)
    listed = await run_in_threadpool(desk.incidents)
    return render_page(
        request,
        "incidents.html",
        active="incidents",
        title="Incidents",
        incidents=listed,
        now=datetime.now(UTC),
        fmt_duration=fmt_duration,
    )


@router.get("/incidents/{incident_id}", include_in_schema=False)
async def incident_page(incident_id: int, request: Request) -> Response:
    desk = incident_desk(request)
    try:
        page = await run_in_threadpool(desk.page, incident_id)
    except IncidentNotFound as error:
        raise HTTPException(404, str(error)) from None
    return render_page(
        request,
        "incident.html",
        active="incidents",
        title=f"Incident {incident_id}",
        report=page.report,
        incident=page.report.incident,
        timeline=_markup(page.timeline_svg),
        service_map=_markup(page.map_svg),
        fmt_duration=fmt_duration,
    )


def _report(desk: IncidentDesk, incident_id: int) -> IncidentReport:
    try:
        return desk.report(incident_id)
    except UserInputError as error:
        raise problem(error) from None


def _markup(svg: str) -> Markup:
    return Markup(svg)  # made on the server from escaped parts (timeline_svg, render_svg)


def fmt_duration(seconds: float) -> str:
    """`42 s`, `12 min`, `3.5 h`."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
