"""The server's incident watch, end to end on real servers: a declared health endpoint
goes down, the watch's probes open an incident, the route's webhook hears of it once;
the endpoint comes back, the incident resolves, the webhook hears that too."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import load_settings

CATALOG = """\
apiVersion: interlock/v1
kind: Service
name: ledger
owner: team-books
health: {health}
---
apiVersion: interlock/v1
kind: Config
incidents:
  health: {{intervalS: 0.2, timeoutS: 2, failures: 2}}
  notify:
    - name: books
      url: {hook}
"""


def _until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not reached in time")


def test_the_watch_probes_health_and_notifies_open_and_resolve(
    receiver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down → one `opened` message naming the service and its team; up → one `resolved`."""
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(
        CATALOG.format(health=f"{receiver.url}/health", hook=f"{receiver.url}/hook")
    )
    (root / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-books}\n"
        "spec: {type: team}\n"
    )
    monkeypatch.setenv("INTERLOCK_INCIDENT_TICK_S", "0.2")
    monkeypatch.setenv("INTERLOCK_INCIDENT_MIN_ALERTS", "1")
    port = free_port()
    settings = load_settings(
        catalog_dir=root, data_dir=tmp_path / "data", port=port, environ={}, cwd=tmp_path
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        receiver.status = 503
        opened = _until(lambda: [b for p, b in receiver.bodies if p == "/hook"])
        assert ["opened"] == [b["event"] for b in opened]
        assert "ledger" == opened[0]["incident"]["origin"]
        assert ["team-books"] == opened[0]["teams"]["origin"]
        assert "HealthCheckFailing" == opened[0]["alerts"][0]["name"]
        receiver.status = 200
        _until(lambda: len([p for p, _ in receiver.bodies if p == "/hook"]) == 2)
        assert ["opened", "resolved"] == [b["event"] for p, b in receiver.bodies if p == "/hook"]
        incident = httpx.get(f"http://127.0.0.1:{port}/api/incidents/1").json()
        assert "resolved" == incident["state"]
        assert ["opened", "resolved"] == [n["event"] for n in incident["notifications"]]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
