"""Fixtures for the dashboard tests: a small catalog on disk, the app, a running server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
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


@pytest.fixture
def client(app: FastAPI, in_process_client: Callable[[FastAPI], httpx.Client]) -> httpx.Client:
    """An in-process client (httpx over ASGI) after the app's startup: migrate, load, record.

    A blocking portal runs the app's event loop in a thread, so tests stay plain functions.
    """
    return in_process_client(app)


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
