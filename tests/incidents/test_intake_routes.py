"""Alert intake over HTTP: Alertmanager v4, Grafana, the plain form; dedup, resolve,
unknown services, label mapping, and refusals that name the place."""

from __future__ import annotations

from typing import Any

import httpx


def _alertmanager(status: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    """A webhook body as Alertmanager 0.25 sends it (version 4)."""
    return {
        "receiver": "interlock",
        "status": status,
        "alerts": list(alerts),
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
    }


def _am_alert(
    service: str, fingerprint: str, status: str = "firing", **labels: str
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "job": service, "severity": "critical", **labels},
        "annotations": {"summary": f"{service} fails requests"},
        "startsAt": "2026-12-01T10:00:00.123456789Z",
        "endsAt": "2026-12-01T10:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=x",
        "fingerprint": fingerprint,
    }


def test_alertmanager_alerts_become_one_incident_with_reasons(client: httpx.Client) -> None:
    """Two related alerts from one webhook open one incident; each says why it is there."""
    body = _alertmanager("firing", _am_alert("billing-svc", "a1"), _am_alert("checkout", "a2"))
    answer = client.post("/api/alerts/alertmanager", json=body)
    assert 200 == answer.status_code, answer.text
    results = answer.json()["alerts"]
    assert 1 == len({r["incident_id"] for r in results})
    assert "first alert of this incident" == results[0]["join_reason"]
    assert results[1]["join_reason"].startswith("calls billing, which alerted")
    listed = client.get("/api/incidents").json()
    assert 1 == len(listed)
    assert ["billing", "checkout"] == listed[0]["services"]
    assert "billing" == listed[0]["origin"]
    assert "critical" == listed[0]["severity"]


def test_same_fingerprint_is_counted_once_and_resolved_closes(client: httpx.Client) -> None:
    """A repeated notification updates the alert; the resolved one closes it and the incident."""
    firing = _alertmanager("firing", _am_alert("checkout", "f1"), _am_alert("web", "f2"))
    client.post("/api/alerts/alertmanager", json=firing)
    again = client.post("/api/alerts/alertmanager", json=firing).json()["alerts"]
    assert ["repeat", "repeat"] == [r["outcome"] for r in again]
    incident_id = again[0]["incident_id"]
    assert 2 == client.get(f"/api/incidents/{incident_id}").json()["alert_count"]
    resolved = _alertmanager(
        "resolved",
        _am_alert("checkout", "f1", status="resolved"),
        _am_alert("web", "f2", status="resolved"),
    )
    client.post("/api/alerts/alertmanager", json=resolved)
    incident = client.get(f"/api/incidents/{incident_id}").json()
    assert "resolved" == incident["state"]
    assert ["resolved", "resolved"] == [a["status"] for a in incident["alerts"]]
    assert "2026-12-01T10:05:00Z" == incident["alerts"][0]["ends_at"]
    assert "interlock" == incident["transitions"][-1]["actor"]


def test_unknown_service_is_kept_with_the_label_it_could_not_map(client: httpx.Client) -> None:
    """An alert on `job=node-exporter` is stored, listed as unmapped, never dropped."""
    body = [
        {"name": "DiskFull", "labels": {"job": "node-exporter"}, "severity": "warning"},
        {"name": "DiskFull2", "labels": {"job": "node-exporter"}},
    ]
    results = client.post("/api/alerts", json=body).json()["alerts"]
    incident = client.get(f"/api/incidents/{results[0]['incident_id']}").json()
    assert ["job=node-exporter"] == incident["services"]
    assert {"job"} == {a["service_label"] for a in incident["alerts"]}
    assert {"node-exporter"} == {a["unmapped"] for a in incident["alerts"]}
    assert {None} == {a["service"] for a in incident["alerts"]}


def test_grafana_webhook_maps_the_kubernetes_label(client: httpx.Client) -> None:
    """Grafana's payload is read, and `app.kubernetes.io/name` finds the catalog service."""
    alert = {
        "status": "firing",
        "labels": {"alertname": "Latency", "app.kubernetes.io/name": "stock"},
        "annotations": {"description": "p95 over 2 s"},
        "startsAt": "2026-12-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://grafana.example/alerting/grafana/abc/view",
        "fingerprint": "g1",
        "silenceURL": "http://grafana.example/alerting/silence/new",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 2.3},
        "valueString": "[ var='B' value=2.3 ]",
    }
    body = {
        "receiver": "interlock",
        "status": "firing",
        "orgId": 1,
        "alerts": [alert],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://grafana.example/",
        "version": "1",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "title": "[FIRING:1] Latency",
        "state": "alerting",
        "message": "p95 over 2 s",
    }
    result = client.post("/api/alerts/grafana", json=body).json()["alerts"][0]
    incident = client.get(f"/api/incidents/{result['incident_id']}").json()
    assert "stock" == incident["alerts"][0]["service"]
    assert "app.kubernetes.io/name" == incident["alerts"][0]["service_label"]
    assert "grafana" == incident["alerts"][0]["source"]
    assert "p95 over 2 s" == incident["alerts"][0]["summary"]


def test_bad_payloads_are_refused_naming_the_place(client: httpx.Client) -> None:
    """Not JSON is a 400; a wrong shape is a 422 whose message names the JSON path."""
    not_json = client.post("/api/alerts/alertmanager", content=b"{nope")
    assert 400 == not_json.status_code
    assert not_json.json()["detail"].startswith("request body: expected JSON")
    body = _alertmanager("firing", {**_am_alert("web", "x"), "startsAt": "yesterday"})
    bad_time = client.post("/api/alerts/alertmanager", json=body)
    assert 422 == bad_time.status_code
    assert (
        "$.alerts[0].startsAt: expected an RFC 3339 time, not 'yesterday'"
        == bad_time.json()["detail"]
    )
    no_name = client.post("/api/alerts", json=[{"name": "ok"}, {"service": "web"}])
    assert 422 == no_name.status_code
    assert "$[1].name: expected the alert's name, a non-empty string" == no_name.json()["detail"]
    assert [] == client.get("/api/incidents").json()


def test_acknowledge_and_resolve_by_hand_record_who_and_why(client: httpx.Client) -> None:
    """POST acknowledge, then resolve: the incident moves on and each step names its actor;
    a step without an actor, or on an unknown incident, is refused with the place named."""
    body = _alertmanager("firing", _am_alert("checkout", "h1"), _am_alert("web", "h2"))
    (incident_id,) = {
        r["incident_id"]
        for r in client.post("/api/alerts/alertmanager", json=body).json()["alerts"]
    }
    path = f"/api/incidents/{incident_id}"
    acked = client.post(f"{path}/acknowledge", json={"actor": "ana", "note": "looking"})
    assert 200 == acked.status_code, acked.text
    assert "acknowledged" == acked.json()["state"]
    resolved = client.post(f"{path}/resolve", json={"actor": "ana", "note": "rolled back"})
    assert 200 == resolved.status_code, resolved.text
    assert "resolved" == resolved.json()["state"]
    steps = [(t["to"], t["actor"]) for t in client.get(path).json()["transitions"]]
    assert [("acknowledged", "ana"), ("resolved", "ana")] == steps[-2:]
    refused = client.post(f"{path}/acknowledge", json={"note": "no actor"})
    assert 422 == refused.status_code
    assert "$.actor" in refused.text
    assert client.post("/api/incidents/999/resolve", json={"actor": "ana"}).status_code >= 400
