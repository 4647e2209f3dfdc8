"""The real Debian `prometheus-alertmanager` as a child process: alerts posted to its API
reach Interlock through its webhook receiver, grouped as Alertmanager groups them."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.ports import free_port, wait_for_port

BINARY = "prometheus-alertmanager"
CONFIG = """\
route:
  receiver: interlock
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: interlock
    webhook_configs:
      - url: {url}/api/alerts/alertmanager
        send_resolved: true
"""


@pytest.fixture
def alertmanager(live_server: str, tmp_path: Path) -> Iterator[str]:
    """Alertmanager on a free port, its webhook pointed at the live Interlock server."""
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.skip(f"{BINARY} not installed (Debian package prometheus-alertmanager)")
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=live_server))
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _post(alertmanager: str, alerts: list[dict[str, Any]]) -> None:
    answer = httpx.post(f"{alertmanager}/api/v2/alerts", json=alerts, timeout=10)
    assert 200 == answer.status_code, answer.text


def _until(check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError("Alertmanager's notification did not arrive in time")


def _alert(name: str, job: str, ends: datetime | None = None) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(minutes=2)
    body: dict[str, Any] = {
        "labels": {"alertname": name, "job": job, "severity": "critical"},
        "annotations": {"summary": f"{name} on {job}"},
        "startsAt": started.isoformat(),
        "generatorURL": f"http://prometheus.example/graph?{name}",
    }
    if ends:
        body["endsAt"] = ends.isoformat()
    return body


@pytest.mark.server
def test_alertmanager_groups_arrive_as_one_incident_and_resolve_it(
    alertmanager: str, live_server: str
) -> None:
    """billing and checkout alerts in one Alertmanager group: one incident, origin billing;
    an unrelated node alert arrives in its own group; resolving closes the incident."""
    _post(
        alertmanager,
        [
            _alert("HighErrorRate", "billing-svc"),
            _alert("HighErrorRate", "checkout"),
            _alert("DiskFull", "node-exporter"),
        ],
    )
    with httpx.Client(base_url=live_server) as http:

        def arrived() -> list[dict[str, Any]]:
            found = http.get("/api/incidents").json()
            return found if sum(i["alert_count"] for i in found) == 3 else []

        by_origin = {i["origin"]: i for i in _until(arrived)}
        assert {"billing", None} == set(by_origin)
        assert ["job=node-exporter"] == by_origin[None]["services"]
        incident = by_origin["billing"]
        assert ["billing", "checkout"] == incident["services"]
        detail = http.get(f"/api/incidents/{incident['id']}").json()
        keys = {a["group_key"] for a in detail["alerts"]}
        assert 1 == len(keys)
        assert 'alertname="HighErrorRate"' in keys.pop()
        assert {"alertmanager"} == {a["source"] for a in detail["alerts"]}
        assert all(len(a["fingerprint"]) == 16 for a in detail["alerts"])

        past = datetime.now(UTC) - timedelta(seconds=1)
        _post(
            alertmanager,
            [
                _alert("HighErrorRate", "billing-svc", past),
                _alert("HighErrorRate", "checkout", past),
            ],
        )
        resolved = _until(
            lambda: http.get(f"/api/incidents/{incident['id']}").json()["state"] == "resolved"
        )
        assert resolved
