"""Notifications: one message per incident and event (opened, origin changed, resolved) to
each matching route, as generic JSON or Slack's text/blocks, received by a real server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from interlock.incidents import IncidentDesk, NotifyRoute

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _alert(name: str, service: str, status: str = "firing") -> dict[str, Any]:
    return {"name": name, "service": service, "fingerprint": f"{name}:{service}", "status": status}


def _desk_with_routes(desk: IncidentDesk, receiver: Any) -> IncidentDesk:
    routes = (
        NotifyRoute("everyone", f"{receiver.url}/json"),
        NotifyRoute("pay-slack", f"{receiver.url}/slack", "slack", teams=("team-pay",)),
        NotifyRoute("find", f"{receiver.url}/find", teams=("team-find",)),
    )
    settings = replace(desk.settings, routes=routes, dashboard_url="http://dash.example/")
    return IncidentDesk(desk.engine, desk.graph, None, settings)


def test_each_route_gets_one_message_per_event_never_one_per_alert(
    desk: IncidentDesk, receiver: Any
) -> None:
    """Four alerts, an origin that moves once and a resolution: three messages per
    matching route; a route for another team hears nothing."""
    desk = _desk_with_routes(desk, receiver)
    desk.receive("plain", [_alert("Slow", "web"), _alert("Errors", "checkout")], T0)
    sent = desk.notify(T0 + timedelta(seconds=1))
    assert [("everyone", "opened"), ("pay-slack", "opened")] == [(s.route, s.event) for s in sent]
    assert [] == desk.notify(T0 + timedelta(seconds=2))  # told once
    desk.receive("plain", [_alert("Errors", "billing")], T0 + timedelta(seconds=20))
    desk.receive("plain", [_alert("Retries", "web")], T0 + timedelta(seconds=30))
    moved = desk.notify(T0 + timedelta(seconds=31))
    assert [("everyone", "origin_changed"), ("pay-slack", "origin_changed")] == [
        (s.route, s.event) for s in moved
    ]
    closing = [
        _alert(n, s, "resolved")
        for n, s in (
            ("Slow", "web"),
            ("Errors", "checkout"),
            ("Errors", "billing"),
            ("Retries", "web"),
        )
    ]
    desk.receive("plain", closing, T0 + timedelta(minutes=5))
    done = desk.notify(T0 + timedelta(minutes=5, seconds=1))
    assert [("everyone", "resolved"), ("pay-slack", "resolved")] == [
        (s.route, s.event) for s in done
    ]
    assert [200] * 6 == [s.status_code for s in sent + moved + done]
    assert ["/json", "/slack"] * 3 == [path for path, _ in receiver.bodies]


def test_a_json_message_names_the_origin_and_its_owning_team(
    desk: IncidentDesk, receiver: Any
) -> None:
    """The generic body carries the event, the incident with its link, the teams and the
    alerts; the text says who owns the origin."""
    desk = _desk_with_routes(desk, receiver)
    desk.receive("plain", [_alert("Errors", "checkout"), _alert("Errors", "billing")], T0)
    desk.notify(T0 + timedelta(seconds=1))
    body = dict(receiver.bodies)["/json"]
    assert "opened" == body["event"]
    assert "billing" == body["incident"]["origin"]
    assert body["incident"]["url"].startswith("http://dash.example/incidents/")
    assert ["team-pay"] == body["teams"]["origin"]
    assert {("Errors", "checkout"), ("Errors", "billing")} == {
        (a["name"], a["service"]) for a in body["alerts"]
    }
    assert "probable origin billing (owned by team-pay)" in body["text"]


def test_a_slack_message_has_text_and_blocks(desk: IncidentDesk, receiver: Any) -> None:
    """Slack's incoming webhook format: a `text` fallback and `blocks` with the facts."""
    desk = _desk_with_routes(desk, receiver)
    desk.receive("plain", [_alert("Errors", "checkout"), _alert("Errors", "billing")], T0)
    desk.notify(T0 + timedelta(seconds=1))
    body = dict(receiver.bodies)["/slack"]
    assert "Incident" in body["text"] and "team-pay" in body["text"]
    assert "section" == body["blocks"][0]["type"]
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert "*Origin*\nbilling" in fields
    assert "*Owners*\nteam-pay" in fields


def test_a_pending_incident_is_never_notified(desk: IncidentDesk, receiver: Any) -> None:
    """One alert under the flapping guard: nothing is sent."""
    desk = _desk_with_routes(desk, receiver)
    desk.receive("plain", [_alert("Blip", "web")], T0)
    assert [] == desk.notify(T0 + timedelta(seconds=1))
    assert [] == receiver.bodies


def test_an_unreachable_route_is_recorded_not_raised(desk: IncidentDesk) -> None:
    """A receiver that is down: the failure is kept with the message, the watch goes on."""
    from interlock.ports import free_port

    settings = replace(
        desk.settings, routes=(NotifyRoute("down", f"http://127.0.0.1:{free_port()}/"),)
    )
    desk = IncidentDesk(desk.engine, desk.graph, None, settings)
    desk.receive("plain", [_alert("Errors", "checkout"), _alert("Errors", "billing")], T0)
    [sent] = desk.notify(T0 + timedelta(seconds=1))
    assert (None, True) == (sent.status_code, sent.error.startswith("ConnectError"))
