"""The dashboard's HTML pages: home, map, services, one service, API docs, coming soon.

Routes fetch data through the catalog's view functions and hand it to a template.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from interlock.catalog import (
    Node,
    NodeKind,
    UnknownService,
    render_svg,
    service_index,
    service_view,
)
from interlock.web.navigation import Section, coming_sections
from interlock.web.openapi_reference import api_reference
from interlock.web.rendering import render_page
from interlock.web.state import LoadedCatalog, loaded_catalog

router = APIRouter(include_in_schema=False)


def service_href(node: Node) -> str | None:
    """Where a map node links to: its service page, for services."""
    return f"/services/{node.name}" if node.kind is NodeKind.SERVICE else None


@router.get("/")
def home(request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    return render_page(
        request,
        "home.html",
        title="Interlock",
        summary=loaded.summary,
        findings=loaded.catalog.findings,
    )


@router.get("/map")
def service_map(request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    svg = render_svg(loaded.catalog.graph, href=service_href)
    return render_page(request, "map.html", active="map", title="Map", svg=Markup(svg))


@router.get("/services")
def services(request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    rows = service_index(loaded.catalog.graph)
    return render_page(request, "services.html", active="services", title="Services", rows=rows)


@router.get("/services/{name}")
def service(
    name: str, request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> Response:
    try:
        view = service_view(loaded.catalog.graph, name)
    except UnknownService as error:
        return render_page(
            request,
            "not_found.html",
            active="services",
            title="No such service",
            status_code=404,
            message=str(error),
            suggestions=[f"/services/{s}" for s in error.suggestions],
        )
    return render_page(
        request,
        "service.html",
        active="services",
        title=view.name,
        view=view,
        pacts=loaded.contracts.for_service(view.name),
        database_contracts=loaded.contracts.database_contracts_for(view.name),
    )


@router.get("/apis/{name}/definition")
def api_definition(name: str, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    """The definition an API's descriptor points at (`$text: ./openapi.yaml`), as text."""
    api = loaded.catalog.graph.get(NodeKind.API, name)
    if api is None:
        return _plain_404(f"no API named {name!r} in the catalog")
    if api.attrs.get("definition_url"):
        return RedirectResponse(str(api.attrs["definition_url"]))
    path = Path(loaded.summary.source_dir) / str(api.attrs.get("definition_path", ""))
    if "definition_path" not in api.attrs or not path.is_file():
        return _plain_404(f"API {name!r} has no definition file")
    return FileResponse(path, media_type="text/plain; charset=utf-8")


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    """A reference of the JSON API, drawn from the OpenAPI document (no CDN assets)."""
    reference = api_reference(request.app.openapi())
    return render_page(request, "api_docs.html", title="JSON API", reference=reference)


def _plain_404(message: str) -> Response:
    return Response(message + "\n", status_code=404, media_type="text/plain; charset=utf-8")


def _coming(section: Section) -> None:
    def page(request: Request) -> Response:
        return render_page(
            request,
            "coming.html",
            active=section.key,
            title=section.title,
            section=section,
            status_code=200,
        )

    router.add_api_route(section.path, page, methods=["GET"], name=f"coming-{section.key}")


for _section in coming_sections():
    _coming(_section)
