"""Interlock's own alert sources: health probes against a real HTTP server, the rules over a
real span store's aggregates, the outbox other packages raise alerts through, and the
automatic resolution that waits for the error rate to come back."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from interlock.catalog import load_catalog
from interlock.incidents import (
    AlertIn,
    HealthChecker,
    IncidentDesk,
    IncidentSettings,
    health_targets,
    migration_alert,
    raise_alert,
    verification_alert,
)
from interlock.store import create_engine_for

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` in a thread of its own: the browser tests leave a loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_health_failures_in_a_row_open_an_alert_and_recovery_resolves_it(
    receiver: Any, tmp_path: Path, sqlite_url: str
) -> None:
    """Two failed probes of a declared `health:` URL fire; the next success resolves."""
    root = tmp_path / "health-catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(
        f"apiVersion: interlock/v1\nkind: Service\nname: ledger\nhealth: {receiver.url}/health\n"
    )
    graph = load_catalog(root).graph
    assert [("ledger", f"{receiver.url}/health")] == [
        (t.service, t.url) for t in health_targets(graph)
    ]
    engine = create_engine_for(sqlite_url)
    desk = IncidentDesk(engine, graph, None, IncidentSettings(min_alerts=1, health_failures=2))
    start = _now()
    assert [] == _run(desk.probe_health(start))
    receiver.status = 503
    assert [] == _run(desk.probe_health(start + timedelta(seconds=15)))
    fired = _run(desk.probe_health(start + timedelta(seconds=30)))
    assert [("HealthCheckFailing", "firing")] == [(a.name, a.status) for a in fired]
    assert start + timedelta(seconds=15) == fired[0].starts_at  # from the first failure
    assert "HTTP 503" in fired[0].summary
    opened = desk.receive_alerts(fired, start + timedelta(seconds=30))
    assert "open" == desk.report(opened[0].incident_id or 0).incident.state
    receiver.status = 200
    back = _run(desk.probe_health(start + timedelta(seconds=45)))
    assert [("HealthCheckFailing", "resolved")] == [(a.name, a.status) for a in back]
    desk.receive_alerts(back, start + timedelta(seconds=45))
    assert "resolved" == desk.report(opened[0].incident_id or 0).incident.state
    engine.dispose()


def test_health_probe_of_a_closed_port_counts_as_a_failure() -> None:
    """A refused connection is a failed probe, with the error in the summary."""
    from interlock.incidents import HealthTarget
    from interlock.ports import free_port

    checker = HealthChecker([HealthTarget("ledger", f"http://127.0.0.1:{free_port()}/")], 1, 2.0)
    fired = _run(checker.probe_all(_now()))
    assert ["firing"] == [a.status for a in fired]
    assert "ConnectError" in fired[0].summary


def test_error_rate_rules_fire_per_service_and_edge_and_make_one_incident(
    span_desk: IncidentDesk, traffic: Any
) -> None:
    """Errors far above the baseline fire on the failing service, its edge and its caller;
    one incident, whose origin is the failing service; quiet services stay quiet."""
    now = _now()
    start = now.timestamp()
    traffic.calls("checkout", "billing-svc", start - 1200, 50)
    traffic.calls(None, "stock", start - 1200, 50)
    traffic.calls("checkout", "billing-svc", start - 60, 40, errors=20)
    traffic.calls(None, "stock", start - 60, 40, errors=1)
    results = span_desk.evaluate_rules(now)
    fired = {(r.alert_id, r.incident_id) for r in results}
    report = span_desk.report(results[0].incident_id or 0)
    assert {
        ("HighErrorRate", "billing"),
        ("EdgeErrorRate", "billing"),
        ("HighErrorRate", "checkout"),
    } == {(a.name, a.service) for a in report.alerts}
    assert 1 == len({incident for _, incident in fired})
    assert "billing" == report.incident.origin
    assert "open" == report.incident.state
    edge = next(a for a in report.alerts if a.name == "EdgeErrorRate")
    assert {"client": "checkout", "server": "billing"}.items() <= edge.labels.items()
    assert "error rate 50.0% (usual 0.0%" in edge.summary


def test_rules_resolve_when_the_errors_stop_and_the_incident_resolves(
    span_desk: IncidentDesk, traffic: Any
) -> None:
    """Evaluated again after the errors stopped, each rule resolves; with every alert
    resolved and no error left, the incident resolves itself."""
    now = _now()
    traffic.calls("checkout", "billing-svc", now.timestamp() - 1200, 50)
    traffic.calls("checkout", "billing-svc", now.timestamp() - 60, 40, errors=20)
    incident_id = span_desk.evaluate_rules(now)[0].incident_id or 0
    later = now + timedelta(minutes=5)
    traffic.calls("checkout", "billing-svc", later.timestamp() - 60, 40)
    outcomes = {r.outcome for r in span_desk.evaluate_rules(later)}
    assert {"resolved"} == outcomes
    report = span_desk.report(incident_id)
    assert "resolved" == report.incident.state
    assert "the error rate is back to baseline" in report.transitions[-1].note


def test_latency_rule_fires_against_the_baseline_p95(span_desk: IncidentDesk, traffic: Any) -> None:
    """A p95 many times its usual value fires HighLatency; the error rules stay quiet."""
    now = _now()
    traffic.calls(None, "stock", now.timestamp() - 1200, 50, ms=20)
    traffic.calls(None, "stock", now.timestamp() - 60, 40, ms=400)
    results = span_desk.evaluate_rules(now)
    report = span_desk.report(results[0].incident_id or 0)
    assert [("HighLatency", "stock")] == [(a.name, a.service) for a in report.alerts]
    assert "p95 500 ms (usual 25 ms, limit 50 ms)" in report.alerts[0].summary


def test_a_service_threshold_from_the_catalog_replaces_the_default(
    span_desk: IncidentDesk, traffic: Any, tmp_path: Path
) -> None:
    """`alertRules.errorRateIncrease` of a service raises its bar: 10% more errors pass."""
    root = tmp_path / "rules-catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Service\nname: stock\nalertRules:\n"
        "  errorRateIncrease: 0.5\n"
    )
    desk = IncidentDesk(span_desk.engine, load_catalog(root).graph, span_desk.store)
    now = _now()
    traffic.calls(None, "stock", now.timestamp() - 1200, 50)
    traffic.calls(None, "stock", now.timestamp() - 60, 40, errors=4)
    assert 0.5 == desk.thresholds_for("stock").error_rate_increase
    assert [] == desk.evaluate_rules(now)
    assert 0.05 == desk.thresholds_for("billing").error_rate_increase


def test_an_incident_whose_alerts_resolved_waits_for_the_error_rate(
    span_desk: IncidentDesk, traffic: Any
) -> None:
    """Every alert resolved while the errors go on: the incident stays open until the
    error rate is back to its baseline, then resolves by itself."""
    now = _now()
    traffic.calls("checkout", "billing-svc", now.timestamp() - 1200, 50)
    traffic.calls("checkout", "billing-svc", now.timestamp() - 60, 40, errors=20)
    firing = [
        {"name": "BillingDown", "service": "billing", "fingerprint": f"f{n}"} for n in range(2)
    ]
    results = span_desk.receive("plain", firing, now)
    incident_id = results[0].incident_id or 0
    resolved = [{**alert, "status": "resolved"} for alert in firing]
    span_desk.receive("plain", resolved, now + timedelta(seconds=5))
    waiting = span_desk.report(incident_id).incident
    assert ("open", 0) == (waiting.state, waiting.firing_count)
    span_desk.housekeeping(now + timedelta(seconds=10))
    assert "open" == span_desk.report(incident_id).incident.state
    span_desk.housekeeping(now + timedelta(minutes=10))
    assert "resolved" == span_desk.report(incident_id).incident.state


def test_a_failed_verification_raised_through_the_outbox_opens_and_a_pass_resolves(
    desk: IncidentDesk,
) -> None:
    """`raise_alert(verification_alert(...))` is correlated by the desk's watch; a later
    pass resolves it, and a pass with nothing firing is dropped."""
    failed = verification_alert(
        consumer="web", provider="checkout", provider_version="2.0.0", success=False
    )
    raise_alert(desk.engine, failed)
    raise_alert(
        desk.engine,
        migration_alert(
            service="checkout", database="orders", migration="V7__drop_total", success=False
        ),
    )
    results = desk.take_outbox()
    assert ["new", "new"] == [r.outcome for r in results]
    assert [] == desk.take_outbox()  # taken once
    report = desk.report(results[0].incident_id or 0)
    assert {"ContractVerificationFailed", "MigrationFailed"} == {a.name for a in report.alerts}
    assert "checkout 2.0.0 failed the verification of web's pact" in {
        a.summary for a in report.alerts
    }
    passed = verification_alert(
        consumer="web", provider="checkout", provider_version="2.0.1", success=True
    )
    raise_alert(desk.engine, passed)
    assert ["resolved"] == [r.outcome for r in desk.take_outbox()]
    raise_alert(desk.engine, passed)
    assert [] == desk.take_outbox()


def test_alerts_made_by_interlock_carry_their_source(desk: IncidentDesk) -> None:
    """An alert given to `receive_alerts` keeps its source and its service."""
    alert = AlertIn(
        source="rule",
        name="HighErrorRate",
        status="firing",
        starts_at=_now(),
        ends_at=None,
        fingerprint="rule:x",
        labels={},
        service="stock",
    )
    result = desk.receive_alerts([alert])[0]
    stored = desk.report(result.incident_id or 0).alerts[0]
    assert ("rule", "stock") == (stored.source, stored.service)
