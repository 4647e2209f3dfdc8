"""The dashboard's chaos experiments: the journals `interlock chaos run` kept, each with its
verdict, the steady state before and after, and what the method did; JSON twins under /api."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from interlock.chaos import ChaosRun, stored_journals
from interlock.web.rendering import render_page

router = APIRouter()


def _listing(data_dir: Path) -> list[dict[str, Any]]:
    return [run.summary() | {"name": run.journal_path.stem} for run in stored_journals(data_dir)]


def _journal(data_dir: Path, name: str) -> ChaosRun:
    found = next(
        (run for run in stored_journals(data_dir, limit=1000) if run.journal_path.stem == name),
        None,
    )
    if found is None:
        raise HTTPException(404, f"no chaos journal {name}")
    return found


@router.get("/api/chaos", tags=["chaos"])
async def chaos_json(request: Request) -> list[dict[str, Any]]:
    """Experiment runs, newest first: verdict, steady state before and after, the method's steps."""
    return await run_in_threadpool(_listing, request.app.state.settings.data_dir)


@router.get("/api/chaos/journals/{name}", tags=["chaos"])
async def chaos_journal_json(request: Request, name: str) -> dict[str, Any]:
    """One run's journal, exactly as Chaos Toolkit writes it."""
    run = await run_in_threadpool(_journal, request.app.state.settings.data_dir, name)
    return run.journal


@router.get("/chaos", include_in_schema=False)
async def chaos_page(request: Request) -> Response:
    runs = await run_in_threadpool(_listing, request.app.state.settings.data_dir)
    return render_page(request, "chaos.html", active="chaos", title="Chaos experiments", runs=runs)


@router.get("/chaos/journals/{name}", include_in_schema=False)
async def chaos_journal_page(request: Request, name: str) -> Response:
    run = await run_in_threadpool(_journal, request.app.state.settings.data_dir, name)
    return render_page(
        request,
        "chaos_journal.html",
        active="chaos",
        title=str(run.summary()["title"]),
        run=run.summary() | {"name": name},
        journal=run.journal,
    )
