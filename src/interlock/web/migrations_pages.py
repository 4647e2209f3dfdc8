"""The dashboard's migration pages: the saved impact and dry-run reports, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import Response

from interlock.errors import UserInputError
from interlock.migrations import SavedReport, list_reports, load_report, render_report_fragment
from interlock.web.rendering import render_page

router = APIRouter()


def _data_dir(request: Request) -> Path:
    data_dir: Path = request.app.state.settings.data_dir
    return data_dir


def _load(request: Request, report_id: str) -> SavedReport:
    try:
        return load_report(_data_dir(request), report_id)
    except UserInputError as error:
        raise HTTPException(404, str(error)) from None


@router.get("/api/migrations", tags=["migrations"])
def reports_json(request: Request) -> list[dict[str, Any]]:
    """Saved migration reports (impact and dry run), newest first."""
    return [r.summary() for r in list_reports(_data_dir(request))]


@router.get("/api/migrations/{report_id}", tags=["migrations"])
def report_json(report_id: str, request: Request) -> dict[str, Any]:
    """One saved report, as the CLI's `--format json` prints it."""
    report = _load(request, report_id)
    return {**report.summary(), "report": report.data}


@router.get("/migrations", include_in_schema=False)
def reports_page(request: Request) -> Response:
    return render_page(
        request,
        "migrations.html",
        active="migrations",
        title="Migrations",
        reports=list_reports(_data_dir(request)),
    )


@router.get("/migrations/{report_id}", include_in_schema=False)
def report_page(report_id: str, request: Request) -> Response:
    report = _load(request, report_id)
    body = Markup(
        render_report_fragment(report.kind, report.data)
    )  # the template autoescapes its data
    return render_page(
        request,
        "migration_report.html",
        active="migrations",
        title=report.label,
        report=report,
        body=body,
    )
