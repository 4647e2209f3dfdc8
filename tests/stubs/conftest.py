"""Fixtures for the chaos proxy tests: the Toxiproxy-compatible server and a real HTTP upstream.

Both run on 127.0.0.1 in background threads, each with its own event loop, as real servers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from interlock.ports import free_port, wait_for_port
from interlock.stubs import ChaosProxyServer, StubServer, load_services

BIG_BODY = bytes(range(256)) * 800  # 204,800 bytes with a recognisable pattern


@pytest.fixture(scope="session")
def chaos_big_body() -> bytes:
    """What the upstream's `GET /big` returns."""
    return BIG_BODY


@pytest.fixture(scope="session")
def chaos_upstream() -> Iterator[str]:
    """A real HTTP service (`GET /big`, `GET /hello`); yields its `host:port`."""

    async def big(request: Request) -> Response:
        return Response(BIG_BODY, media_type="application/octet-stream")

    async def hello(request: Request) -> Response:
        return JSONResponse({"hello": "world"})

    app = Starlette(routes=[Route("/big", big), Route("/hello", hello)])
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def chaos_server() -> Iterator[ChaosProxyServer]:
    """A fresh Interlock chaos proxy (API on a free port) for each test."""
    server = ChaosProxyServer(port=0)
    server.bind()
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the chaos proxy did not start"
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=10)


@pytest.fixture
def chaos_api(chaos_server: ChaosProxyServer) -> Iterator[httpx.Client]:
    """An HTTP client on the chaos proxy's control API, as any Toxiproxy client would call it."""
    with httpx.Client(base_url=chaos_server.url, timeout=10) as client:
        yield client


ProxyFactory = Callable[..., str]


@pytest.fixture
def chaos_proxy_to(chaos_api: httpx.Client) -> ProxyFactory:
    """Create a proxy in front of `upstream` on a free port; returns its `host:port`."""

    def create(upstream: str, name: str = "dependency") -> str:
        response = chaos_api.post(
            "/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream}
        )
        assert 201 == response.status_code, response.text
        listen: str = response.json()["listen"]
        return listen

    return create


StubFactory = Callable[..., StubServer]


@pytest.fixture
def stub_serve() -> Iterator[StubFactory]:
    """Start an Interlock stub server from sources (paths) on free ports; stopped after the test."""
    started: list[StubServer] = []

    def start(*sources: str, **options: object) -> StubServer:
        seed = int(str(options.pop("seed", 0)))
        server = StubServer(load_services(list(sources), seed=seed), seed=seed, **options)  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def stub_files(tmp_path: Path) -> Callable[[str, object], str]:
    """Write a JSON or YAML document into the test's folder; returns its path."""
    import json

    def write(name: str, data: object) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".json"):
            path.write_text(json.dumps(data), encoding="utf-8")
        else:
            path.write_text(str(data), encoding="utf-8")
        return str(path)

    return write
