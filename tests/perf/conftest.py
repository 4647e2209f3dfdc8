"""Fixtures for load tests: a stub of the shop's `orders` service and a target that stalls.

Both are real HTTP servers on 127.0.0.1; the load engine runs in its own process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import Settings
from interlock.stubs import StubServer, load_services

REPO = Path(__file__).resolve().parents[2]
SHOP_PACTS = REPO / "examples" / "shop" / "pacts"


@pytest.fixture
def orders_stub() -> Iterator[StubServer]:
    """The `orders` service stubbed from gateway's pact (its admin API takes faults)."""
    server = StubServer(load_services([str(SHOP_PACTS / "gateway-orders.json")]))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stalling_target() -> Iterator[str]:
    """A service whose event loop stalls for one second on its 10th request: every request
    waits behind that one, as behind a garbage collection pause."""
    seen = {"count": 0}

    async def ping(request: Request) -> JSONResponse:
        seen["count"] += 1
        if seen["count"] == 10:
            time.sleep(1.0)  # blocks the loop on purpose: the stall under test
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/ping", ping)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Server settings on an empty catalog and the test's own data directory."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    return Settings(data_dir=tmp_path / "data", catalog_dir=catalog)


@pytest.fixture
def client(
    settings: Settings, in_process_client: Callable[[FastAPI], httpx.Client]
) -> httpx.Client:
    """The whole server app, its lifespan run (database migrated), in process."""
    app = create_app(settings)
    return in_process_client(app)
