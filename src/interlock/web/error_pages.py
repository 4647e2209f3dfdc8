"""Errors as the client expects them: JSON `{"detail": ...}` under /api, a page elsewhere.

FastAPI answers JSON everywhere by default; a person following a bad link gets a page.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from interlock.web.rendering import render_page

JSON_PREFIXES = ("/api/", "/v1/")


def install_error_pages(app: FastAPI) -> None:
    """Route HTTP errors to JSON or HTML by path."""
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]


async def _http_error(request: Request, error: HTTPException) -> Response:
    if request.url.path.startswith(JSON_PREFIXES) or request.url.path == "/api":
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )
    message = (
        f"Nothing lives at {request.url.path}." if error.status_code == 404 else str(error.detail)
    )
    return render_page(
        request,
        "error.html",
        title=str(error.status_code),
        status_code=error.status_code,
        message=message,
    )
