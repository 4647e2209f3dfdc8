"""Fixtures for incidents: a catalog with two unrelated systems, a desk on a real SQLite
database, the app in process, and the real server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from interlock.catalog import load_catalog
from interlock.incidents import IncidentDesk, IncidentSettings
from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import Settings, load_settings
from interlock.store import create_engine_for, upgrade_database

# web → checkout → billing (billing reports itself as billing-svc), checkout → stock;
# far away: search → index. Teams own each side.
CATALOG = """\
apiVersion: interlock/v1
kind: Service
name: web
owner: team-front
calls: [checkout]
---
apiVersion: interlock/v1
kind: Service
name: checkout
owner: team-pay
calls: [billing, stock]
---
apiVersion: interlock/v1
kind: Service
name: billing
owner: team-pay
telemetryName: billing-svc
---
apiVersion: interlock/v1
kind: Service
name: stock
owner: team-stock
---
apiVersion: interlock/v1
kind: Service
name: search
owner: team-find
calls: [index]
---
apiVersion: interlock/v1
kind: Service
name: index
owner: team-find
"""


TEAMS = "\n---\n".join(
    f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: {team}}}\nspec: {{type: team}}"
    for team in ("team-front", "team-pay", "team-stock", "team-find")
)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(CATALOG)
    (root / "catalog-info.yaml").write_text(TEAMS + "\n")
    return root


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'interlock.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def desk(catalog_dir: Path, sqlite_url: str) -> Iterator[IncidentDesk]:
    """A desk with the defaults but a flapping guard of 2 alerts or 60 s."""
    engine = create_engine_for(sqlite_url)
    try:
        graph = load_catalog(catalog_dir).graph
        yield IncidentDesk(engine, graph, None, IncidentSettings(min_alerts=2, min_duration_s=60))
    finally:
        engine.dispose()


@pytest.fixture
def settings(catalog_dir: Path, tmp_path: Path) -> Settings:
    return load_settings(
        catalog_dir=catalog_dir, data_dir=tmp_path / "data", environ={}, cwd=tmp_path
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


class _PortalTransport(httpx.BaseTransport):
    """Sync httpx transport that sends each request to the ASGI app through a portal."""

    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        request.stream = httpx.ByteStream(request.read())
        answer = await self._asgi.handle_async_request(request)
        body = b"".join([chunk async for chunk in answer.stream])  # type: ignore[union-attr]
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    """The app in process after its startup (migrate, load the catalog, make the desk)."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
        httpx.Client(transport=_PortalTransport(portal, app), base_url="http://testserver") as c,
    ):
        yield c


@pytest.fixture
def live_server(catalog_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The real server (uvicorn in a thread) on a free 127.0.0.1 port; its base URL."""
    port = free_port()
    settings = load_settings(
        catalog_dir=catalog_dir, data_dir=tmp_path / "live", port=port, environ={}, cwd=tmp_path
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
