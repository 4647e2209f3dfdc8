"""Chapter 5 of `interlock demo`: steady traffic through the gateway, a fault, and its root cause.

Traffic runs in a background thread for the whole demo; the fault is switched on in
`payments` at run time (its `/_fault` endpoint, or the stub server's fault API).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from interlock.stubs import add_fault, remove_faults
from interlock.telemetry import diagnose_window

REQUEST_INTERVAL_S = 0.2  # about five requests per second: traffic, not a load test
DEMO_STOCK = 1_000_000  # so that orders never run out while the demo runs
PAYMENTS_FAULT = "latency:250,error:0.3"
STUB_FAULT: dict[str, Any] = {"name": "demo", "type": "error", "status": 503, "toxicity": 0.3}


@dataclass
class TrafficCounts:
    """What the traffic thread sent and how it was answered (by status class)."""

    sent: int = 0
    ok: int = 0
    client_errors: int = 0
    server_errors: int = 0
    unreachable: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "ok": self.ok,
            "client_errors": self.client_errors,
            "server_errors": self.server_errors,
            "unreachable": self.unreachable,
        }


@dataclass
class Traffic:
    """Product listings and orders through `gateway_url` until `stop()`."""

    gateway_url: str
    counts: TrafficCounts = field(default_factory=TrafficCounts)
    started_ns: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.started_ns = time.time_ns()
        self._thread = threading.Thread(target=self._run, name="demo traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        with httpx.Client(base_url=self.gateway_url, timeout=10.0) as client:
            n = 0
            while not self._stop.wait(REQUEST_INTERVAL_S):
                try:
                    if n % 5 < 3:
                        body = {"product_id": 1 + n % 3, "quantity": 1}
                        response = client.post("/orders", json=body)
                    else:
                        response = client.get("/products")
                except httpx.HTTPError:
                    self.counts.unreachable += 1
                else:
                    status = response.status_code
                    if status >= 500:
                        self.counts.server_errors += 1
                    elif status >= 400:
                        self.counts.client_errors += 1
                    else:
                        self.counts.ok += 1
                self.counts.sent += 1
                n += 1


def restock(inventory_url: str) -> None:
    """Plenty of stock for the products the traffic orders (through inventory's state endpoint)."""
    for product in (1, 2, 3):
        change = {
            "state": f"product {product} is in stock",
            "params": {"id": product, "stock": DEMO_STOCK},
        }
        httpx.post(f"{inventory_url}/_pact/state", json=change, timeout=10.0).raise_for_status()


@dataclass(frozen=True)
class FaultTarget:
    """How to reach `payments`' fault switch: the real service, or its stub."""

    payments_url: str
    stub_admin_url: str | None = None

    def inject(self) -> str:
        """Switch the fault on; returns how it is described to the user."""
        if self.stub_admin_url:
            add_fault(self.stub_admin_url, "payments", STUB_FAULT)
            return "30% of payments' answers are 503 (stub fault)"
        response = httpx.post(
            f"{self.payments_url}/_fault", json={"fault": PAYMENTS_FAULT}, timeout=10.0
        )
        response.raise_for_status()
        return "payments answers 250 ms slower and fails 30% of its requests"

    def remove(self) -> None:
        if self.stub_admin_url:
            remove_faults(self.stub_admin_url, "payments")
            return
        response = httpx.post(f"{self.payments_url}/_fault", json={"fault": ""}, timeout=10.0)
        response.raise_for_status()


@dataclass(frozen=True)
class RootCauseResult:
    """The window RCA of the fault: the services ranked, most suspect first."""

    ranked: list[str]
    operations: list[str]
    traces: int
    failed_traces: int
    start_ns: int
    end_ns: int
    example_trace_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "ranked": self.ranked,
            "operations": self.operations,
            "traces": self.traces,
            "failed_traces": self.failed_traces,
            "start_unix_nano": self.start_ns,
            "end_unix_nano": self.end_ns,
            "example_trace_id": self.example_trace_id,
        }


def diagnose(
    data_dir: Path, start_ns: int, end_ns: int, baseline_start_ns: int, baseline_end_ns: int
) -> RootCauseResult:
    """Rank the suspects of the fault window against the calm traffic before it."""
    diagnosis = diagnose_window(data_dir, start_ns, end_ns, baseline_start_ns, baseline_end_ns)
    top = diagnosis.services[0] if diagnosis.services else None
    return RootCauseResult(
        ranked=[s.service for s in diagnosis.services],
        operations=list(top.operations) if top else [],
        traces=diagnosis.traces,
        failed_traces=diagnosis.failed_traces,
        start_ns=start_ns,
        end_ns=end_ns,
        example_trace_id=top.example_trace_ids[0] if top and top.example_trace_ids else None,
    )
