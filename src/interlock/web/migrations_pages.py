"""The dashboard's migration pages: saved reports grouped per proposal, each report rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import Response

from interlock.errors import UserInputError
from interlock.migrations import (
    Proposal,
    SavedReport,
    group_proposals,
    list_reports,
    load_report,
    render_report_fragment,
    report_reason,
)
from interlock.web.rendering import render_page

router = APIRouter()


def _data_dir(request: Request) -> Path:
    data_dir: Path = request.app.state.settings.data_dir
    return data_dir


def _load(request: Request, report_id: str) -> tuple[SavedReport, Proposal | None]:
    try:
        report = load_report(_data_dir(request), report_id)
    except UserInputError as error:
        raise HTTPException(404, str(error)) from None
    proposals = group_proposals(list_reports(_data_dir(request)))
    return report, next((p for p in proposals if report.id in {r.id for r in p.reports}), None)


def _summary(report: SavedReport, proposal: Proposal | None) -> dict[str, Any]:
    return {
        **report.summary(),
        "reason": report_reason(report),
        "proposal_id": proposal.id if proposal else None,
        "siblings": proposal.to_json()["latest"] if proposal else {},
    }


@router.get("/api/migrations", tags=["migrations"])
def reports_json(request: Request) -> list[dict[str, Any]]:
    """Saved migration reports, newest first, each with its proposal and the reason for its
    verdict; the proposals themselves are at /api/migrations/proposals."""
    reports = list_reports(_data_dir(request))
    proposals = group_proposals(reports)
    home = {r.id: p for p in proposals for r in p.reports}
    return [_summary(r, home.get(r.id)) for r in reports]


@router.get("/api/migrations/proposals", tags=["migrations"])
def proposals_json(request: Request) -> list[dict[str, Any]]:
    """Reports grouped per proposal: one verdict, its reason, lint findings, broken consumers."""
    return [p.to_json() for p in group_proposals(list_reports(_data_dir(request)))]


@router.get("/api/migrations/{report_id}", tags=["migrations"])
def report_json(report_id: str, request: Request) -> dict[str, Any]:
    """One saved report, as the CLI's `--format json` prints it, with its proposal."""
    report, proposal = _load(request, report_id)
    return {**_summary(report, proposal), "report": report.data}


@router.get("/migrations", include_in_schema=False)
def reports_page(request: Request) -> Response:
    return render_page(
        request,
        "migrations.html",
        active="migrations",
        title="Migrations",
        proposals=group_proposals(list_reports(_data_dir(request))),
        reason=report_reason,
    )


@router.get("/migrations/{report_id}", include_in_schema=False)
def report_page(report_id: str, request: Request) -> Response:
    report, proposal = _load(request, report_id)
    body = Markup(
        render_report_fragment(report.kind, report.data)
    )  # the template autoescapes its data
    return render_page(
        request,
        "migration_report.html",
        active="migrations",
        title=report.label,
        report=report,
        proposal=proposal,
        body=body,
    )
