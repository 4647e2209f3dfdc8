"""Fixtures for the dashboard tests: a small catalog on disk, the app, a running server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import Settings, load_settings

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"

BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: group:team-web}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-web}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-stock}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
  description: The web shop people use.
spec:
  type: website
  lifecycle: production
  owner: group:team-web
  system: shop
  consumesApis: [stock-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: stock}
spec:
  type: service
  lifecycle: experimental
  owner: group:team-stock
  providesApis: [stock-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: stock-api}
spec:
  type: openapi
  lifecycle: production
  owner: group:team-stock
  definition:
    $text: ./stock-openapi.yaml
"""

INTERLOCK = """\
apiVersion: interlock/v1
kind: Service
name: stock
databases:
  stockdb:
    tables:
      items: [id, name, quantity]
---
apiVersion: interlock/v1
kind: Service
name: storefront
telemetryName: storefront-web
reads:
  stockdb.items: [id, quantity]
"""

OPENAPI = "openapi: 3.0.3\ninfo: {title: stock, version: '1'}\npaths: {}\n"


@pytest.fixture
def small_catalog(tmp_path: Path) -> Path:
    """Two services, one API with a definition file, one database read across teams."""
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "catalog-info.yaml").write_text(BACKSTAGE)
    (root / "interlock.yaml").write_text(INTERLOCK)
    (root / "stock-openapi.yaml").write_text(OPENAPI)
    return root


@pytest.fixture
def settings(small_catalog: Path, tmp_path: Path) -> Settings:
    return load_settings(
        catalog_dir=small_catalog, data_dir=tmp_path / "data", environ={}, cwd=tmp_path
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
    """An in-process client (httpx over ASGI) after the app's startup: migrate, load, record.

    A blocking portal runs the app's event loop in a thread, so tests stay plain functions.
    """
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
        httpx.Client(transport=_PortalTransport(portal, app), base_url="http://testserver") as c,
    ):
        yield c


@pytest.fixture
def shop_server(tmp_path: Path) -> Iterator[str]:
    """The real server on 127.0.0.1 (uvicorn in a thread) over examples/shop; its base URL."""
    port = free_port()
    settings = load_settings(
        catalog_dir=SHOP, data_dir=tmp_path / "data", port=port, environ={}, cwd=tmp_path
    )
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
