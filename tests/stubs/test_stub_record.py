"""`stub record` in front of a real service, then the recording replayed as a stub."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from interlock.contracts import load_pact
from interlock.ports import free_port, wait_for_port
from interlock.stubs import RecordingServer, StubServer

pytestmark = pytest.mark.server

SECRET = "Bearer s3cr3t-token"
INTERLOCK = str(Path(sys.executable).parent / "interlock")


@pytest.fixture
def stub_real_orders() -> Iterator[str]:
    """A real orders service: gzip-compressed JSON, a chunked stream, a cookie."""

    async def get_order(request: Request) -> Response:
        number = int(request.path_params["number"])
        body = {
            "id": number,
            "ref": str(uuid.uuid4()),
            "created_at": datetime.now(UTC).isoformat(),
            "lines": [{"sku": "pen", "note": "x" * 600}],
        }
        response = JSONResponse(body)
        response.set_cookie("session", "abc123")
        return response

    async def create(request: Request) -> Response:
        if request.headers.get("authorization") != SECRET:
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        data = await request.json()
        return JSONResponse({"id": 17, "item": data["item"]}, status_code=201)

    async def stream(request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b'{"items":', b"[1,2,", b"3]}"):
                yield part

        return StreamingResponse(parts(), media_type="application/json")

    app = Starlette(
        routes=[
            Route("/orders/{number:int}", get_order),
            Route("/orders", create, methods=["POST"]),
            Route("/stream", stream),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=100)],
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def recording(stub_real_orders: str, tmp_path: Path) -> Path:
    """Traffic recorded through the proxy; the written pact's path."""
    recorder = RecordingServer(stub_real_orders, tmp_path, consumer="web", provider="orders")
    recorder.start()
    with httpx.Client(base_url=recorder.url) as client:
        first = client.get("/orders/5", headers={"Accept-Encoding": "gzip"})
        assert 5 == first.json()["id"]
        created = client.post("/orders", json={"item": "pen"}, headers={"Authorization": SECRET})
        assert 201 == created.status_code
        assert {"items": [1, 2, 3]} == client.get("/stream").json()
    return recorder.stop()


def test_recording_writes_a_pact_v4_with_decoded_bodies(recording: Path) -> None:
    pact = load_pact(recording)
    assert ("web", "orders", "4.0") == (pact.consumer, pact.provider, pact.spec_version)
    bodies = {i.description: i.response.body.content for i in pact.interactions if i.response}
    assert {"items": [1, 2, 3]} == bodies["GET /stream -> 200"]
    assert "x" * 600 == bodies["GET /orders/5 -> 200"]["lines"][0]["note"]


def test_recording_redacts_secrets(recording: Path) -> None:
    text = recording.read_text()
    assert "s3cr3t" not in text
    assert "abc123" not in text
    assert "[REDACTED]" in text


def test_recording_infers_matchers_for_varying_values(recording: Path) -> None:
    data = json.loads(recording.read_text())
    get = next(i for i in data["interactions"] if i["description"] == "GET /orders/5 -> 200")
    rules = get["response"]["matchingRules"]["body"]
    assert "integer" == rules["$.id"]["matchers"][0]["match"]
    assert "regex" == rules["$.ref"]["matchers"][0]["match"]
    assert "regex" == rules["$.created_at"]["matchers"][0]["match"]
    assert r"^/orders/\d+$" == get["request"]["matchingRules"]["path"]["matchers"][0]["regex"]


def test_recording_replays_as_a_stub(
    recording: Path, stub_serve: Callable[..., StubServer]
) -> None:
    """The recorded pact serves other ids too, and still asks for the Authorization header."""
    url = stub_serve(str(recording)).app.urls["orders"]
    assert 5 == httpx.get(f"{url}/orders/99").json()["id"]
    assert (
        201
        == httpx.post(
            f"{url}/orders", json={"item": "pen"}, headers={"Authorization": "x"}
        ).status_code
    )
    refused = httpx.post(f"{url}/orders", json={"item": "pen"})
    assert 404 == refused.status_code
    assert "authorization" in json.dumps(refused.json()["closest"][0]["mismatches"]).lower()


def test_sigterm_stops_the_recorder_and_writes_the_pact(
    stub_real_orders: str, tmp_path: Path
) -> None:
    """`kill` (SIGTERM) ends `stub record` as Ctrl-C does: the pact is written, exit 0."""
    port = free_port()
    recorder = subprocess.Popen(
        [
            INTERLOCK,
            "stub",
            "record",
            "--target",
            stub_real_orders,
            "--port",
            str(port),
            "--out",
            str(tmp_path / "rec"),
            "--provider",
            "orders",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        assert 200 == httpx.get(f"http://127.0.0.1:{port}/orders/7").status_code
        recorder.send_signal(signal.SIGTERM)
        output, _ = recorder.communicate(timeout=30)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    assert 0 == recorder.returncode, output
    written = load_pact(tmp_path / "rec" / "recorded-consumer-orders.json")
    assert 1 == len(written.interactions)
