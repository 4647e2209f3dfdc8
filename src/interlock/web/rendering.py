"""Jinja2 templates of the dashboard, and the one function that renders a page.

Every page gets the navigation, the section it belongs to, and the loaded catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from interlock import __version__
from interlock.web.navigation import CHAPTERS, SECTIONS, chapter_is_live

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.globals.update(
    sections=SECTIONS,
    chapters=CHAPTERS,
    chapter_is_live=chapter_is_live,
    version=__version__,
)


def render_page(
    request: Request,
    template: str,
    *,
    active: str | None = None,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The HTML response for `template`, inside the base layout."""
    loaded = getattr(request.app.state, "catalog", None)
    return templates.TemplateResponse(
        request,
        template,
        {"active": active, "title": title, "loaded": loaded, **context},
        status_code=status_code,
    )
