"""Fixtures of the contract tests: a small real provider (FastAPI on uvicorn) with provider states."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response

from interlock.ports import free_port, wait_for_port

# pact-python (the interoperability tests) would otherwise report usage over the network
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


@dataclass
class ProviderRecord:
    """What the provider saw: state changes in order, and the most states active at once."""

    state_calls: list[dict[str, Any]] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    most_at_once: dict[str, int] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class RunningProvider:
    """A provider answering on `base_url`, its state endpoint at `state_url`."""

    base_url: str
    state_url: str
    record: ProviderRecord


def build_provider(record: ProviderRecord) -> FastAPI:
    app = FastAPI()

    @app.post("/_pact/state")
    async def change_state(request: Request) -> dict[str, Any]:
        payload = await request.json()
        state, params, action = payload["state"], payload.get("params") or {}, payload["action"]
        with record.lock:
            record.state_calls.append(payload)
            if action == "setup":
                record.active[state] = record.active.get(state, 0) + 1
                record.most_at_once[state] = max(
                    record.most_at_once.get(state, 0), record.active[state]
                )
            else:
                record.active[state] = record.active.get(state, 1) - 1
        if state == "an order exists" and action == "setup":
            order_id = int(params.get("id", 7))
            record.orders[order_id] = {"id": order_id, "status": "open", "total": 12.5}
            return {"orderId": order_id}
        if state == "an order exists" and action == "teardown":
            record.orders.pop(int(params.get("id", 7)), None)
        return {}

    @app.get("/orders/{order_id}")
    def get_order(order_id: int) -> dict[str, Any]:
        if order_id not in record.orders:
            raise HTTPException(404, "no such order")
        return record.orders[order_id]

    @app.post("/orders", status_code=201)
    async def create_order(request: Request) -> dict[str, Any]:
        body = await request.json()
        return {"id": 100, "items": body.get("items", []), "status": "new"}

    @app.post("/_pact/message")
    async def produce_message(request: Request) -> Response:
        payload = await request.json()
        if payload["description"] != "an order created event":
            raise HTTPException(404, "no such message")
        states = payload.get("providerStates") or [{}]
        order = (states[0].get("params") or {}).get("id", 1)
        metadata = base64.b64encode(json.dumps({"topic": "orders.created"}).encode()).decode()
        return Response(
            content=json.dumps({"order": order, "status": "new"}),
            media_type="application/json",
            headers={"Pact-Message-Metadata": metadata},
        )

    @app.get("/slow")
    def slow() -> Response:
        time.sleep(0.05)
        return Response(content="ok", media_type="text/plain")

    @app.get("/health")
    def health(request: Request) -> dict[str, str]:
        return {"status": "up", "token": request.headers.get("authorization", "")}

    return app


@pytest.fixture
def provider() -> Iterator[RunningProvider]:
    """A real provider on 127.0.0.1 for one test, stopped afterwards."""
    record = ProviderRecord()
    port = free_port()
    config = uvicorn.Config(
        build_provider(record), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    base = f"http://127.0.0.1:{port}"
    yield RunningProvider(base, f"{base}/_pact/state", record)
    server.should_exit = True
    thread.join(timeout=10)
