"""The dashboard's stubs and environments page: the service test environments `interlock env up`
recorded under the data directory, each piece with its URL and whether it answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from interlock.envs import environment_dirs, environment_status, stub_services
from interlock.web.rendering import render_page

router = APIRouter()


def _environments(data_dir: Path) -> list[dict[str, Any]]:
    found = []
    for state_dir in environment_dirs(data_dir):
        state, statuses = environment_status(state_dir)
        found.append(
            {
                "name": state.name,
                "file": state.file,
                "state_dir": state.state_dir,
                "pieces": [status.to_json() for status in statuses],
                "stubs": stub_services(state),
                "variables": state.variables,
            }
        )
    return found


@router.get("/api/stubs", tags=["environments"])
# the name it had first, before every page's twin sat at `/api` + the page's path
@router.get("/api/environments", include_in_schema=False)
async def environments_json(request: Request) -> list[dict[str, Any]]:
    """Every recorded environment, each piece with its URL, pid, and health right now."""
    return await run_in_threadpool(_environments, request.app.state.settings.data_dir)


@router.get("/stubs", include_in_schema=False)
async def environments_page(request: Request) -> Response:
    environments = await run_in_threadpool(_environments, request.app.state.settings.data_dir)
    return render_page(
        request,
        "environments.html",
        active="stubs",
        title="Stubs & environments",
        environments=environments,
    )
