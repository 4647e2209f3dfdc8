"""Fixtures of the broker tests: a real `interlock server` (uvicorn on 127.0.0.1, a fresh
SQLite store) and pacts to publish to it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import load_settings

# the Pact clients would otherwise report usage over the network
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

REPO = Path(__file__).resolve().parents[2]
SHOP_PACTS = REPO / "examples" / "shop" / "pacts"


@dataclass(frozen=True)
class RunningBroker:
    """The server's root URL, the broker's base URL under it, and the server's database."""

    root: str
    url: str
    database_url: str = ""

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for the broker's API, speaking HAL+JSON (with a token, if given)."""
        headers = {"Accept": "application/hal+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def serve_broker(folder: Path) -> Iterator[RunningBroker]:
    """A real server on a free port with an empty store under `folder` (and the catalog in
    `folder/catalog`, empty unless the test wrote one); stopped on exit."""
    catalog = folder / "catalog"
    catalog.mkdir(exist_ok=True)
    port = free_port()
    settings = load_settings(
        catalog_dir=catalog, data_dir=folder / "data", port=port, environ={}, cwd=folder
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        root = f"http://127.0.0.1:{port}"
        yield RunningBroker(root, f"{root}/broker", settings.database_url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RunningBroker]:
    """A real server on a free port with an empty store; stopped after the test."""
    with serve_broker(tmp_path) as running:
        yield running


@pytest.fixture
def make_pact() -> Callable[..., dict[str, Any]]:
    """`make_pact(consumer, provider, status="open")`: a pact document."""
    return pact_document


@pytest.fixture
def make_pact_file() -> Callable[..., Path]:
    """`make_pact_file(folder, consumer, provider, status="open")`: a pact file."""
    return write_pact


def pact_document(consumer: str, provider: str, status: str = "open") -> dict[str, Any]:
    """A small v3 pact whose content changes with `status`."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": "a request for order 42",
                "providerStates": [{"name": "an order exists", "params": {"id": 42}}],
                "request": {"method": "GET", "path": "/orders/42"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"id": 42, "status": status},
                    "matchingRules": {"body": {"$.id": {"matchers": [{"match": "integer"}]}}},
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}, "client": {"name": "test"}},
    }


def write_pact(folder: Path, consumer: str, provider: str, status: str = "open") -> Path:
    """A pact file in `folder`, named as Pact clients name them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{consumer}-{provider}.json"
    path.write_text(json.dumps(pact_document(consumer, provider, status)), encoding="utf-8")
    return path


def _order_provider() -> FastAPI:
    """A provider whose orders are always open: pacts expecting "closed" fail against it."""
    app = FastAPI()

    @app.post("/_pact/state")
    def change_state() -> dict[str, str]:
        return {}

    @app.get("/orders/{order_id}")
    def get_order(order_id: int) -> dict[str, Any]:
        return {"id": order_id, "status": "open"}

    return app


@pytest.fixture
def order_provider() -> Iterator[str]:
    """The `orders` provider running on 127.0.0.1; its base URL."""
    port = free_port()
    config = uvicorn.Config(_order_provider(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []
        self.url = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = json.loads(await request.body())
            self.calls.append({"body": body, "headers": dict(request.headers)})
            return Response(status_code=500 if len(self.calls) <= self.failures else 200)

        return app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver that fails once, then succeeds."""
    found = Receiver(failures=1)
    port = free_port()
    config = uvicorn.Config(found.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        found.url = f"http://127.0.0.1:{port}/hook"
        yield found
    finally:
        server.should_exit = True
        thread.join(timeout=10)
