"""Correlation's sense of time on the map, on constructed timelines with known answers:
failures travel from callees up to callers, so a callee that starts alerting long after
its caller, or a neighbour's alert from long ago, neither joins nor becomes the origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from interlock.incidents import IncidentDesk, probable_origin
from interlock.incidents.service_map import MapSnapshot

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _fire(desk: IncidentDesk, service: str, name: str, after_s: float) -> Any:
    at = T0 + timedelta(seconds=after_s)
    alert = {"name": name, "service": service, "fingerprint": f"{service}-{name}"}
    return desk.receive("plain", [{**alert, "starts_at": at.isoformat()}], at)[0]


def test_a_caller_alerting_after_its_callee_joins_with_the_reason(desk: IncidentDesk) -> None:
    """checkout alerts 40 s after billing, which it calls: one incident."""
    first = _fire(desk, "billing", "Errors", 0)
    second = _fire(desk, "checkout", "Errors", 40)
    assert first.incident_id == second.incident_id
    assert "calls billing, which alerted 40 s earlier" == second.join_reason


def test_a_callee_alerting_long_after_its_caller_opens_its_own_incident(
    desk: IncidentDesk,
) -> None:
    """stock's disk fills four minutes after checkout's errors: unrelated, not joined."""
    first = _fire(desk, "checkout", "Errors", 0)
    late = _fire(desk, "stock", "DiskAlmostFull", 240)
    assert first.incident_id != late.incident_id
    assert "first alert of this incident" == late.join_reason


def test_a_callee_alerting_just_after_its_caller_still_joins(desk: IncidentDesk) -> None:
    """Rules fire at different moments: billing's alert 60 s after checkout's joins it."""
    first = _fire(desk, "checkout", "Errors", 0)
    second = _fire(desk, "billing", "Errors", 60)
    assert first.incident_id == second.incident_id


def test_a_neighbour_alert_from_long_ago_does_not_pull_a_new_one_in(desk: IncidentDesk) -> None:
    """billing alerted eight minutes before checkout (and still fires): checkout's errors
    start an incident of their own."""
    old = _fire(desk, "billing", "CertificateExpiresSoon", 0)
    new = _fire(desk, "checkout", "Errors", 480)
    assert old.incident_id != new.incident_id


def _snapshot() -> MapSnapshot:
    snapshot = MapSnapshot()
    for caller, callee in (("web", "checkout"), ("checkout", "billing"), ("checkout", "stock")):
        snapshot.add(caller, callee)
    return snapshot


def test_the_origin_is_the_callee_that_explains_the_cascade() -> None:
    """billing first, then checkout, then web: billing explains both and is the origin."""
    services = {"web": "2026-12-01T10:01:20Z", "checkout": "2026-12-01T10:00:40Z",
                "billing": "2026-12-01T10:00:00Z"}  # fmt: skip
    assert "billing" == probable_origin(services, _snapshot(), 3)


def test_an_old_callee_alert_is_not_the_origin() -> None:
    """stock alerted six minutes before checkout's cascade began: checkout is the origin."""
    services = {"stock": "2026-12-01T09:54:00Z", "checkout": "2026-12-01T10:00:00Z",
                "web": "2026-12-01T10:00:30Z"}  # fmt: skip
    assert "checkout" == probable_origin(services, _snapshot(), 3)


def test_of_two_leaves_the_one_explaining_more_alerts_is_the_origin() -> None:
    """billing and stock both alert; only billing alerted before checkout and web."""
    services = {"stock": "2026-12-01T10:03:00Z", "billing": "2026-12-01T10:00:00Z",
                "checkout": "2026-12-01T10:00:30Z", "web": "2026-12-01T10:01:00Z"}  # fmt: skip
    assert "billing" == probable_origin(services, _snapshot(), 3)
