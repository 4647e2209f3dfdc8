"""The dashboard's JSON twins under `/api`: the home page, the catalog, the map, the services.

Each route calls one function of the catalog package; none holds logic of its own.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from interlock.catalog import (
    ServiceSummary,
    ServiceView,
    UnknownService,
    service_index,
    service_view,
)
from interlock.web.navigation import CHAPTERS, chapter_json
from interlock.web.state import LoadedCatalog, loaded_catalog

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/", summary="The home page: the catalog loaded, its findings, the demo's chapters")
def home(loaded: LoadedCatalog = Depends(loaded_catalog)) -> dict[str, Any]:
    """What the home page shows, as JSON: its twin, as every page has at `/api` + its path."""
    return {
        "catalog": {**asdict(loaded.summary), "loaded_at": loaded.load.loaded_at.isoformat()},
        "findings": [finding.to_json() for finding in loaded.catalog.findings],
        "chapters": [chapter_json(chapter) for chapter in CHAPTERS],
    }


@router.get("/catalog", summary="The whole catalog: nodes, edges, findings, files")
def catalog(loaded: LoadedCatalog = Depends(loaded_catalog)) -> dict[str, Any]:
    """Everything the server loaded from the catalog directory, and when it did."""
    graph = loaded.catalog.graph.to_json()
    return {
        "source_dir": loaded.summary.source_dir,
        "loaded_at": loaded.load.loaded_at.isoformat(),
        "digest": loaded.summary.digest,
        "files": loaded.summary.files,
        "nodes": graph["nodes"],
        "edges": graph["edges"],
        "findings": [finding.to_json() for finding in loaded.catalog.findings],
    }


@router.get("/map", summary="The service graph as nodes and edges")
def service_map(loaded: LoadedCatalog = Depends(loaded_catalog)) -> dict[str, Any]:
    """The graph the map page draws: every node and typed edge."""
    graph: dict[str, Any] = loaded.catalog.graph.to_json()
    return graph


@router.get("/services", summary="Every service with its owner and connections")
def services(loaded: LoadedCatalog = Depends(loaded_catalog)) -> list[ServiceSummary]:
    """One row per service, sorted by name (the JSON twin of the services page)."""
    return service_index(loaded.catalog.graph)


@router.get(
    "/services/{name}",
    summary="One service: owner, APIs, calls, databases, tables",
    responses={404: {"description": "No service has this name (with did-you-mean)"}},
)
def service(name: str, loaded: LoadedCatalog = Depends(loaded_catalog)) -> ServiceView:
    """Everything the service page shows, as JSON."""
    try:
        return service_view(loaded.catalog.graph, name)
    except UnknownService as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
