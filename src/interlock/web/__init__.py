"""The dashboard: server-rendered pages, their JSON twins under /api, one stylesheet.

`server.py` mounts what is named here; capabilities add their own page groups.
"""

from interlock.web.api import router as api_router
from interlock.web.broker_pages import router as broker_pages_router
from interlock.web.chaos_pages import router as chaos_router
from interlock.web.contracts_pages import router as contracts_router
from interlock.web.envs_pages import router as envs_router
from interlock.web.error_pages import install_error_pages
from interlock.web.incidents_pages import router as incidents_router
from interlock.web.migrations_pages import router as migrations_router
from interlock.web.navigation import CHAPTERS, SECTIONS, Chapter, Section
from interlock.web.pages import router as pages_router
from interlock.web.perf_pages import router as perf_router
from interlock.web.rendering import STATIC, render_page
from interlock.web.state import LoadedCatalog, loaded_catalog
from interlock.web.traces_pages import router as traces_router

__all__ = [
    "CHAPTERS",
    "SECTIONS",
    "STATIC",
    "Chapter",
    "LoadedCatalog",
    "Section",
    "api_router",
    "broker_pages_router",
    "chaos_router",
    "contracts_router",
    "envs_router",
    "incidents_router",
    "install_error_pages",
    "loaded_catalog",
    "migrations_router",
    "pages_router",
    "perf_router",
    "render_page",
    "traces_router",
]
