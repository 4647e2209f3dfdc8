"""Chapter 6 of `interlock demo`: the fault in `payments` seen as an incident. A deploy of
payments is recorded just before the fault; the server's own rules over the spans fire,
and (when the Debian `prometheus-alertmanager` is installed) an alert a team's Prometheus
would send arrives through a real Alertmanager; all become one incident whose origin is
payments, with the deploy beside it.

Talks to the demo's own server over HTTP, as a team's CI and Alertmanager would.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from interlock.ports import free_port, wait_for_port

SERVICE = "payments"
FAULTY_VERSION = "1.0.1-demo"
ALERTMANAGER = "prometheus-alertmanager"
TEAM_ALERT = "PaymentsErrorBudgetBurn"
WAIT_FOR_INCIDENT_S = 90.0
ALERTMANAGER_CONFIG = """\
route:
  receiver: interlock
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: interlock
    webhook_configs:
      - url: {dashboard}/api/alerts/alertmanager
        send_resolved: true
"""


@dataclass
class IncidentsChapter:
    """Records the deploy before the fault, then finds the incident the fault made."""

    dashboard_url: str
    data_dir: Path
    stopped: threading.Event = field(default_factory=threading.Event)
    alertmanager_url: str | None = None
    _process: subprocess.Popen[bytes] | None = None
    deployed_at: datetime | None = None
    fired_at: datetime | None = None

    def deploy_faulty_version(self) -> None:
        """The change the incident will show: payments "deployed" just before its fault."""
        self.deployed_at = datetime.now(UTC)
        httpx.post(
            f"{self.dashboard_url}/api/changes",
            json={
                "service": SERVICE,
                "kind": "deploy",
                "version": FAULTY_VERSION,
                "environment": "demo",
                "summary": "new card authorisation client (the demo's fault)",
            },
            timeout=10.0,
        ).raise_for_status()
        self._start_alertmanager()

    def tell(self) -> tuple[dict[str, Any], str]:
        """Wait for the incident on payments; what it holds, and the story's line."""
        self._team_alert("firing")
        incident = self._wait(self._payments_incident, WAIT_FOR_INCIDENT_S)
        if incident is None:
            return {"found": False}, (
                f"[bold]6[/] [red]no incident on payments yet[/] — {self.dashboard_url}/incidents"
            )
        if self._process is not None:  # Alertmanager groups, then sends: give it a moment
            self._wait(lambda: self._has_source(incident["id"], "alertmanager"), 20.0)
            self._team_alert("resolved")
        report = httpx.get(
            f"{self.dashboard_url}/api/incidents/{incident['id']}", timeout=30
        ).json()
        self.stop()
        return _summary(report), _line(report, self.dashboard_url)

    def stop(self) -> None:
        """Stop Alertmanager, if this chapter started it."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def _start_alertmanager(self) -> None:
        binary = shutil.which(ALERTMANAGER)
        if binary is None:
            return
        home = self.data_dir / "alertmanager"
        home.mkdir(parents=True, exist_ok=True)
        config = home / "alertmanager.yml"
        config.write_text(ALERTMANAGER_CONFIG.format(dashboard=self.dashboard_url))
        port = free_port()
        log = (home / "alertmanager.log").open("wb")
        self._process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:  # the chapter goes on with Interlock's own alerts only
            self.stop()
            return
        self.alertmanager_url = f"http://127.0.0.1:{port}"

    def _team_alert(self, status: str) -> None:
        """The alert a team's own Prometheus rule would raise, posted to Alertmanager."""
        if self.alertmanager_url is None or self.deployed_at is None:
            return
        now = datetime.now(UTC)
        alert: dict[str, Any] = {
            "labels": {"alertname": TEAM_ALERT, "service": SERVICE, "severity": "critical"},
            "annotations": {"summary": "payments burns its error budget 14x too fast"},
            "startsAt": (self.fired_at or now).isoformat(),
            "generatorURL": f"{self.dashboard_url}/services/{SERVICE}/red",
        }
        if status == "resolved":
            alert["endsAt"] = now.isoformat()
        else:  # the team's rule fires once the errors show, after the deploy
            self.fired_at = now
        httpx.post(f"{self.alertmanager_url}/api/v2/alerts", json=[alert], timeout=10.0)

    def _payments_incident(self) -> dict[str, Any] | None:
        listed = httpx.get(f"{self.dashboard_url}/api/incidents", timeout=10.0).json()
        since = (self.deployed_at or datetime.now(UTC)) - timedelta(seconds=1)
        for incident in listed:
            started = datetime.fromisoformat(incident["started_at"].replace("Z", "+00:00"))
            if SERVICE in incident["services"] and started >= since:
                return dict(incident)
        return None

    def _has_source(self, incident_id: int, source: str) -> bool:
        report = httpx.get(f"{self.dashboard_url}/api/incidents/{incident_id}", timeout=10.0)
        return any(a["source"] == source for a in report.json()["alerts"])

    def _wait(self, check: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            if self.stopped.wait(1.0):
                return None
        return None


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "found": True,
        "id": report["id"],
        "state": report["state"],
        "origin": report["origin"],
        "rca": report["origin_check"]["verdict"],
        "alerts": sorted({(a["source"], a["name"], a["service"]) for a in report["alerts"]}),
        "changes": [
            {"kind": c["kind"], "service": c["service"], "version": c["version"]}
            for c in report["changes"]
        ],
    }


def _line(report: dict[str, Any], dashboard: str) -> str:
    sources = sorted({a["source"] for a in report["alerts"]})
    deploy = next(
        (c for c in report["changes"] if c["service"] == SERVICE and c["kind"] == "deploy"), None
    )
    if deploy is None:
        beside = "no deploy recorded before it"
    else:
        gap = deploy["before_start_s"]
        when = f"{gap:.0f} s before it began" if gap >= 0.5 else "as it began"
        beside = f"beside the deploy of {SERVICE} {deploy['version']} {when}"
    return (
        f"[bold]6[/] {report['alert_count']} alerts ({', '.join(sources)}) became incident "
        f"{report['id']}: probable origin [bold]{report['origin']}[/] (window RCA: "
        f"{report['origin_check']['verdict']}), {beside} — {dashboard}/incidents/{report['id']}"
    )
