"""The dashboard package's public surface, which `server.py` and capabilities build on."""

from __future__ import annotations

import interlock.web


def test_web_exports_exactly_its_public_api() -> None:
    assert [
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
    ] == interlock.web.__all__
    for name in interlock.web.__all__:
        assert hasattr(interlock.web, name), name
