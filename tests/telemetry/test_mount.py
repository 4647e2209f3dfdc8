"""`mount_telemetry`: the OTLP intake inside another app (as `interlock server` does it)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from interlock.ports import free_port, wait_for_port
from interlock.telemetry import TelemetrySettings, mount_telemetry


@pytest.mark.server
def test_mounted_intake_keeps_the_apps_own_lifespan_and_closes_the_store(
    tmp_path: Path, conformance_dir: Path
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    store = mount_telemetry(app, tmp_path, TelemetrySettings(data_dir=tmp_path))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        body = (conformance_dir / "trace.json").read_bytes()
        sent = httpx.post(
            f"http://127.0.0.1:{port}/v1/traces",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        pong: Any = httpx.get(f"http://127.0.0.1:{port}/api/ping").json()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert (200, {"pong": "yes"}, ["start", "stop"]) == (sent.status_code, pong, events)
    assert not store.offer_spans(store.get_trace("5b8efff798038103d269b633813fc60c"))  # closed
    assert 1 == len(store.get_trace("5b8efff798038103d269b633813fc60c"))
