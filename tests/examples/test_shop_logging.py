"""The shop services on the logging standard: their stdout passes `interlock logs check -`.

A real service process is started with its stdout kept apart from stderr, driven with
ordinary and failing requests, stopped, and its output checked by the real CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.demo import find_shop
from interlock.ports import free_port, wait_for_port

pytestmark = pytest.mark.server


def _run_payments(tmp_path: Path, env: dict[str, str]) -> tuple[list[str], str]:
    """Start payments, drive it, stop it; its stdout lines and its stderr."""
    port = free_port()
    stdout, stderr = tmp_path / "payments.out", tmp_path / "payments.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        service = subprocess.Popen(
            [sys.executable, "-m", "payments.app"],
            cwd=find_shop(),
            env={
                **os.environ,
                "PORT": str(port),
                "PYTHONPATH": str(find_shop()),
                "PYTHONUNBUFFERED": "1",
                "SHOP_FAULT_ADMIN": "1",
                **env,
            },
            stdout=out,
            stderr=err,
        )
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        charge = {"amount": 7500, "currency": "EUR", "order_id": "o-1"}
        assert 201 == httpx.post(f"{base}/payments", json=charge).status_code
        assert 404 == httpx.get(f"{base}/payments/nope").status_code
        assert 200 == httpx.post(f"{base}/_fault", json={"fault": "error:1"}).status_code
        assert 500 == httpx.post(f"{base}/payments", json=charge).status_code
    finally:
        service.send_signal(signal.SIGINT)
        service.wait(timeout=30)
    return stdout.read_text().splitlines(), stderr.read_text()


def _check(lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", "logs", "check", "-", "--format", "json"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def _requests(lines: list[str]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines]
    return [r for r in records if r.get("attributes", {}).get("logger.name") == "shop.requests"]


def test_service_stdout_follows_the_logging_standard(tmp_path: Path) -> None:
    """Start-up, one line per request, the error line and shutdown: all standard JSON lines."""
    lines, stderr = _run_payments(tmp_path, {})
    result = _check(lines)
    assert 0 == result.returncode, result.stdout + result.stderr + stderr
    assert [] == json.loads(result.stdout)["violations"]
    handled = [(r["body"], r["severity_text"]) for r in _requests(lines)]
    assert [
        ("POST /payments 201", "INFO"),
        ("GET /payments/nope 404", "INFO"),
        ("POST /_fault 200", "INFO"),
        ("POST /payments 500", "ERROR"),
    ] == handled


def test_request_lines_carry_the_span_ids_when_tracing(tmp_path: Path, otlp_receiver: Any) -> None:
    """With an OTLP endpoint, each request line names the trace and span it was logged in."""
    lines, stderr = _run_payments(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url})
    result = _check(lines)
    assert 0 == result.returncode, result.stdout + result.stderr + stderr
    handled = _requests(lines)
    assert 4 == len(handled)
    assert all(len(r["trace_id"]) == 32 and len(r["span_id"]) == 16 for r in handled), handled
    spans = otlp_receiver.wait_for(
        lambda spans: any(s.span_id == handled[0]["span_id"] for s in spans)
    )
    assert handled[0]["span_id"] in {s.span_id for s in spans if s.service == "payments"}


def test_control_endpoints_are_off_unless_switched_on(shop: dict[str, str]) -> None:
    """Without SHOP_FAULT_ADMIN and SHOP_PACT_STATES, /_fault and /_pact/state do not exist."""
    fault = httpx.post(f"{shop['payments']}/_fault", json={"fault": "error:1"})
    state = httpx.post(f"{shop['inventory']}/_pact/state", json={"state": "product 1 exists"})
    assert (404, 404) == (fault.status_code, state.status_code)
