"""Chapter 6 of the demo against a real `interlock server` on the shop's catalog: a deploy
of payments recorded, payments failing in the spans sent over OTLP, the server's own
rules (and a real Alertmanager, when installed) making one incident whose origin is payments."""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from interlock.demo.incidents_chapter import FAULTY_VERSION, TEAM_ALERT, IncidentsChapter
from interlock.demo.shop import find_shop
from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import load_settings

_IDS = itertools.count(1)


def _attribute(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _calls(at_ns: int, count: int, errors: int) -> dict[str, Any]:
    """OTLP JSON: `count` orders → payments calls, the first `errors` failed."""
    spans: dict[str, list[dict[str, Any]]] = {"orders": [], "payments": []}
    for n in range(count):
        number = next(_IDS)
        trace, client = f"{number:032x}", f"{number:015x}a"
        start = at_ns + n * 50_000_000
        end = start + 20_000_000
        status = {"code": 2} if n < errors else {}
        common = {"traceId": trace, "startTimeUnixNano": str(start), "endTimeUnixNano": str(end)}
        spans["orders"].append(
            {**common, "spanId": client, "name": "POST payments", "kind": 3, "status": status,
             "attributes": [_attribute("peer.service", "payments")]}
        )  # fmt: skip
        spans["payments"].append(
            {**common, "spanId": f"{number:015x}b", "parentSpanId": client, "name": "POST /payments",
             "kind": 2, "status": status}
        )  # fmt: skip
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attribute("service.name", service)]},
                "scopeSpans": [{"spans": found}],
            }
            for service, found in spans.items()
        ]
    }


@pytest.fixture
def shop_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`interlock server` on the shop's catalog, its rules evaluated every second."""
    monkeypatch.setenv("INTERLOCK_INCIDENT_RULE_INTERVAL_S", "1")
    monkeypatch.setenv("INTERLOCK_INCIDENT_TICK_S", "0.5")
    port = free_port()
    settings = load_settings(
        catalog_dir=find_shop(), data_dir=tmp_path / "data", port=port, environ={}, cwd=tmp_path
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.server
def test_the_payments_fault_becomes_one_incident_beside_its_deploy(
    shop_server: str, tmp_path: Path
) -> None:
    """The rules fire on payments and its caller; the incident's origin is payments, the
    deploy recorded before the fault is its first change, and with Alertmanager installed
    the team's alert joins the same incident."""
    now = time.time_ns()
    httpx.post(f"{shop_server}/v1/traces", json=_calls(now - 600 * 10**9, 40, 0)).raise_for_status()
    chapter = IncidentsChapter(shop_server, tmp_path / "demo")
    try:
        chapter.deploy_faulty_version()
        failing = _calls(time.time_ns() - 10**9, 40, 20)
        httpx.post(f"{shop_server}/v1/traces", json=failing).raise_for_status()
        found, line = chapter.tell()
    finally:
        chapter.stop()
    assert found["found"], line
    assert "payments" == found["origin"]
    assert {("rule", "HighErrorRate", "payments"), ("rule", "HighErrorRate", "orders")} <= {
        tuple(a) for a in found["alerts"]
    }
    assert {"kind": "deploy", "service": "payments", "version": FAULTY_VERSION} == found["changes"][
        0
    ]
    assert "probable origin [bold]payments[/]" in line
    assert f"beside the deploy of payments {FAULTY_VERSION}" in line
    if shutil.which("prometheus-alertmanager"):
        assert ("alertmanager", TEAM_ALERT, "payments") in {tuple(a) for a in found["alerts"]}
