"""HTTP faults on stubs, each observed from a real httpx client."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from interlock.cli.stub import register
from interlock.stubs import StubServer

pytestmark = pytest.mark.server

BIG = "x" * 20_000
MAPPINGS: dict[str, Any] = {
    "mappings": [
        {"request": {"method": "GET", "url": "/ping"}, "response": {"status": 200, "body": "pong"}},
        {"request": {"method": "GET", "url": "/big"}, "response": {"status": 200, "body": BIG}},
    ]
}


@pytest.fixture
def pay(stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]) -> str:
    """Base URL of a `payments` stub; its admin API is under /__admin."""
    return stub_serve("payments=" + stub_files("m.json", MAPPINGS)).app.urls["payments"]


def add(base: str, fault: dict[str, Any]) -> None:
    response = httpx.post(f"{base}/__admin/services/payments/faults", json=fault)
    assert 201 == response.status_code, response.text


def test_latency_fault_delays_the_answer_at_least_that_long(pay: str) -> None:
    add(pay, {"type": "latency", "attributes": {"latency": 300}})
    started = time.perf_counter()
    assert "pong" == httpx.get(f"{pay}/ping").text
    assert 0.3 <= time.perf_counter() - started


def test_latency_fault_on_one_route_leaves_the_others_alone(pay: str) -> None:
    add(pay, {"type": "latency", "route": "GET /big", "attributes": {"latency": 5000}})
    assert "pong" == httpx.get(f"{pay}/ping", timeout=2).text


def test_error_fault_for_the_first_n_requests(pay: str) -> None:
    add(pay, {"type": "error", "attributes": {"status": 503, "first": 2}})
    statuses = [httpx.get(f"{pay}/ping").status_code for _ in range(4)]
    assert [503, 503, 200, 200] == statuses


def test_error_fault_for_a_share_of_requests(pay: str) -> None:
    add(pay, {"type": "error", "toxicity": 0.5, "attributes": {"status": 500}})
    statuses = [httpx.get(f"{pay}/ping").status_code for _ in range(40)]
    assert {200, 500} == set(statuses)


def test_reset_fault_is_seen_as_a_connection_reset(pay: str) -> None:
    add(pay, {"type": "reset_peer"})
    with pytest.raises(httpx.TransportError) as caught:
        httpx.get(f"{pay}/ping")
    assert "reset" in repr(caught.value.__context__ or caught.value).lower()


def test_timeout_fault_holds_the_connection(pay: str) -> None:
    add(pay, {"type": "timeout", "attributes": {"timeout": 0}})
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{pay}/ping", timeout=0.5)


def test_limit_data_fault_truncates_the_body(pay: str) -> None:
    add(pay, {"type": "limit_data", "attributes": {"bytes": 100}})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{pay}/big")


def test_bandwidth_fault_slows_the_body(pay: str) -> None:
    """20 KB at 10 KB/s takes about two seconds."""
    add(pay, {"type": "bandwidth", "attributes": {"rate": 10}})
    started = time.perf_counter()
    assert BIG == httpx.get(f"{pay}/big").text
    assert 1.5 <= time.perf_counter() - started


def test_slow_close_fault_answers_then_closes_late(pay: str) -> None:
    add(pay, {"type": "slow_close", "attributes": {"delay": 300}})
    response = httpx.get(f"{pay}/ping")
    assert "pong" == response.text
    assert "close" == response.headers["connection"]


def test_bad_fault_is_refused_with_the_field_named(pay: str) -> None:
    response = httpx.post(
        f"{pay}/__admin/services/payments/faults",
        json={"type": "latency", "attributes": {"latency": -1}},
    )
    assert 400 == response.status_code
    assert "$.attributes.latency: expected a non-negative integer" == response.json()["error"]


def test_fault_file_sets_faults_at_start(
    stub_files: Callable[[str, object], str], tmp_path: Path
) -> None:
    from interlock.stubs import load_fault_config, load_services

    services = load_services(["payments=" + stub_files("m.json", MAPPINGS)])
    config = tmp_path / "faults.yaml"
    config.write_text("faults:\n  - service: payments\n    type: error\n    status: 502\n")
    load_fault_config(config, services)
    server = StubServer(services)
    server.start()
    try:
        assert 502 == httpx.get(f"{server.app.urls['payments']}/ping").status_code
    finally:
        server.stop()


def test_fault_add_command_sets_a_fault_on_a_running_stub(pay: str) -> None:
    root = typer.Typer()
    register(root)
    result = CliRunner().invoke(
        root,
        [
            "fault",
            "add",
            "--stub-admin",
            f"{pay}/__admin",
            "--service",
            "payments",
            "--route",
            "GET /ping",
            "--type",
            "latency",
            "--latency-ms",
            "300",
        ],
    )
    assert 0 == result.exit_code, result.output
    started = time.perf_counter()
    httpx.get(f"{pay}/ping")
    assert 0.3 <= time.perf_counter() - started
    listed = CliRunner().invoke(
        root, ["fault", "list", "--stub-admin", pay, "--service", "payments", "--format", "json"]
    )
    assert '"latency": 300' in listed.output
