"""Correlation on constructed timelines with known answers: grouping by the map, separate
faults apart, the flapping guard, the origin, the changes before, and an alert storm."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from interlock.incidents import AlertIn, IncidentDesk, TransitionRefused, list_incidents

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _alert(
    service: str, at: float, name: str = "HighErrorRate", status: str = "firing", **labels: str
) -> AlertIn:
    """An alert on `service` (by its `job` label) starting `at` seconds after T0."""
    starts = T0 + timedelta(seconds=at)
    return AlertIn(
        source="plain",
        name=name,
        status=status,
        starts_at=starts,
        ends_at=starts + timedelta(seconds=30) if status == "resolved" else None,
        fingerprint=f"{name}-{service}-{labels}",
        labels={"job": service, **labels},
        severity="critical",
    )


def test_a_fault_and_what_it_breaks_form_one_incident_whose_origin_is_the_fault(
    desk: IncidentDesk,
) -> None:
    """billing fails; checkout and web alert after it: one incident, origin billing."""
    results = desk.receive_alerts(
        [_alert("web", 0), _alert("checkout", 20), _alert("billing-svc", 40)],
        now=T0 + timedelta(seconds=41),
    )
    assert 1 == len({r.incident_id for r in results})
    assert "first alert of this incident" == results[0].join_reason
    assert "is called by web, which alerted 20 s earlier" == results[1].join_reason
    assert "is called by checkout, which alerted 20 s earlier" == results[2].join_reason
    (incident,) = list_incidents(desk.engine)
    assert "billing" == incident.origin
    assert {"web", "checkout", "billing"} == set(incident.services)
    assert "open" == incident.state


def test_unrelated_faults_far_apart_on_the_map_stay_separate(desk: IncidentDesk) -> None:
    """Faults in billing and in index at the same minute make two incidents."""
    results = desk.receive_alerts(
        [
            _alert("billing", 0),
            _alert("index", 5),
            _alert("checkout", 10),
            _alert("search", 15),
        ],
        now=T0 + timedelta(seconds=16),
    )
    assert results[0].incident_id == results[2].incident_id
    assert results[1].incident_id == results[3].incident_id
    assert results[0].incident_id != results[1].incident_id
    origins = {i.origin for i in list_incidents(desk.engine)}
    assert {"billing", "index"} == origins


def test_alerts_outside_the_window_open_a_new_incident(desk: IncidentDesk) -> None:
    """The same service alerting 20 minutes later (window 10 min) is a new incident."""
    first = desk.receive_alerts([_alert("stock", 0), _alert("checkout", 5)], now=T0)
    later = desk.receive_alerts(
        [_alert("stock", 1200, name="Again")], now=T0 + timedelta(seconds=1200)
    )
    assert first[0].incident_id != later[0].incident_id
    assert "first alert of this incident" == later[0].join_reason


def test_an_alert_that_flaps_once_does_not_open_an_incident(desk: IncidentDesk) -> None:
    """One alert fires and resolves within the guard: suppressed, never listed."""
    (fired,) = desk.receive_alerts([_alert("stock", 0, name="Flap")], now=T0)
    resolved = _alert("stock", 0, name="Flap", status="resolved")
    desk.receive_alerts([resolved], now=T0 + timedelta(seconds=30))
    assert [] == list_incidents(desk.engine)
    assert ["suppressed"] == [
        i.state for i in list_incidents(desk.engine, ("suppressed", "pending"))
    ]
    assert fired.incident_id is not None


def test_one_alert_that_keeps_firing_opens_after_the_minimum_duration(desk: IncidentDesk) -> None:
    """A lone alert still firing 60 s later (its repeat notification) opens the incident."""
    desk.receive_alerts([_alert("stock", 0, name="Slow")], now=T0)
    assert [] == list_incidents(desk.engine)
    desk.receive_alerts([_alert("stock", 0, name="Slow")], now=T0 + timedelta(seconds=61))
    (incident,) = list_incidents(desk.engine)
    assert "open" == incident.state


def test_changes_before_the_incident_are_ranked_by_distance_then_time(desk: IncidentDesk) -> None:
    """The origin's deploy first, then the other alerting service's, then a dependency's;
    a caller's, an unrelated service's and a too-old change are left out."""
    desk.record_change(service="web", kind="deploy", version="7", occurred_at=T0)
    desk.record_change(
        service="checkout", kind="deploy", version="12", occurred_at=T0 - timedelta(minutes=2)
    )
    desk.record_change(
        service="stock", kind="migration", version="V4", occurred_at=T0 - timedelta(minutes=3)
    )
    desk.record_change(
        service="billing", kind="deploy", version="3.1", occurred_at=T0 - timedelta(minutes=5)
    )
    desk.record_change(service="index", kind="config", occurred_at=T0 - timedelta(minutes=1))
    desk.record_change(service="billing", kind="flag", occurred_at=T0 - timedelta(hours=5))
    results = desk.receive_alerts([_alert("billing", 0), _alert("checkout", 10)], now=T0)
    report = desk.report(results[0].incident_id or 0)
    assert [("billing", "3.1", 0), ("checkout", "12", 1), ("stock", "V4", 2)] == [
        (r.change.service, r.change.version, r.distance) for r in report.changes
    ]
    assert 300 == report.changes[0].before_start_s
    assert {"billing": ["team-pay"], "checkout": ["team-pay"]} == report.owners


def test_acknowledge_and_resolve_by_hand_record_who_and_when(desk: IncidentDesk) -> None:
    """open → acknowledged → resolved, each with its actor and note; resolving twice is refused."""
    results = desk.receive_alerts([_alert("stock", 0), _alert("checkout", 3)], now=T0)
    incident_id = results[0].incident_id or 0
    desk.acknowledge(incident_id, "ana", "looking")
    desk.resolve(incident_id, "ana", "rolled back stock 2.3")
    steps = [
        (t.from_state, t.to_state, t.actor, t.note) for t in desk.report(incident_id).transitions
    ]
    assert [
        (None, "pending", "interlock", "HighErrorRate: waiting for the flapping guard"),
        ("pending", "open", "interlock", "2 firing alerts"),
        ("open", "acknowledged", "ana", "looking"),
        ("acknowledged", "resolved", "ana", "rolled back stock 2.3"),
    ] == steps
    with pytest.raises(TransitionRefused, match="is resolved: it cannot become resolved"):
        desk.resolve(incident_id, "ana", "again")


def test_correlating_one_alert_in_a_storm_stays_under_100_ms(desk: IncidentDesk) -> None:
    """2,000 alerts over 10 minutes on many incidents: p95 of one alert's correlation ≤ 100 ms."""
    services = ["web", "checkout", "billing", "stock", "search", "index"]
    timings: list[float] = []
    for number in range(2000):
        alert = _alert(services[number % 6], number * 0.3, name=f"A{number % 97}", pod=str(number))
        began = time.perf_counter()
        desk.receive_alerts([alert], now=alert.starts_at)
        timings.append(time.perf_counter() - began)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    assert p95 <= 0.1, f"p95 {p95 * 1000:.1f} ms"
    assert 2000 == sum(i.alert_count for i in list_incidents(desk.engine))
