"""Fixtures for chaos experiments: a stubbed `orders`, Interlock's collector with its span
store, and a tiny traced `gateway` that calls `orders` (with or without a timeout).

All are real servers on 127.0.0.1; the gateway is its own process, as a service would be.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
import uvicorn

from interlock.ports import free_port, wait_for_port
from interlock.stubs import StubServer, load_services
from interlock.telemetry import TelemetrySettings, create_collector_app

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHOP_PACTS = REPO / "examples" / "shop" / "pacts"


@pytest.fixture
def orders_stub() -> Iterator[StubServer]:
    """`orders` stubbed from gateway's pact; faults are set through its admin API."""
    server = StubServer(load_services([str(SHOP_PACTS / "gateway-orders.json")]))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Collector:
    url: str
    data_dir: Path


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    """Interlock's OTLP collector writing the span store under the test's data directory."""
    data_dir = tmp_path / "data"
    app = create_collector_app(TelemetrySettings(data_dir=data_dir))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield Collector(f"http://127.0.0.1:{port}", data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class GatewayFactory(Protocol):
    def __call__(self, timeout_s: float | None, retries: int = 0, breaker: str = "none") -> str: ...


@pytest.fixture
def start_gateway(orders_stub: StubServer, collector: Collector) -> Iterator[GatewayFactory]:
    """Start the tiny gateway calling the `orders` stub with this timeout (None: no timeout),
    retries, and circuit breaker (`THRESHOLD,RESET_S` or `none`)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(timeout_s: float | None, retries: int = 0, breaker: str = "none") -> str:
        port = free_port()
        orders = orders_stub.endpoints()[0].url
        argv = [sys.executable, str(HERE / "caller_service.py"), str(port), orders, collector.url]
        timeout = "none" if timeout_s is None else str(timeout_s)
        process = subprocess.Popen([*argv, timeout, str(retries), breaker])
        processes.append(process)
        wait_for_port(port, timeout=30)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
