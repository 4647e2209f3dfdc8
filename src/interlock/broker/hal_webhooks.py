"""Webhooks and their runs as HAL+JSON, in the Pact Broker's webhook resource shape."""

from __future__ import annotations

from typing import Any

from interlock.broker.links import pacticipant_url
from interlock.broker.records import rfc3339
from interlock.broker.webhook_delivery import WebhookRun
from interlock.broker.webhooks import Webhook


def webhook_url(base: str, key: str) -> str:
    """One webhook."""
    return f"{base}/webhooks/{key}"


def webhook(base: str, found: Webhook) -> dict[str, Any]:
    """A webhook as the Pact Broker shows it (the password is never shown back)."""
    request = {k: v for k, v in found.request.items() if k != "password"}
    if "password" in found.request:
        request["password"] = "**********"
    body: dict[str, Any] = {
        "uuid": found.uuid,
        "description": found.description,
        "enabled": found.enabled,
        "events": [{"name": name} for name in found.events],
        "request": request,
        "createdAt": rfc3339(found.created_at),
        "_links": {
            "self": {"href": webhook_url(base, found.uuid), "title": found.description or ""},
            "pb:execute": {"href": f"{webhook_url(base, found.uuid)}/execute"},
            "pb:executions": {"href": f"{webhook_url(base, found.uuid)}/executions"},
            "pb:webhooks": {"href": f"{base}/webhooks"},
        },
    }
    for key, name in (("consumer", found.consumer), ("provider", found.provider)):
        if name is not None:
            body[key] = {"name": name}
            body["_links"][f"pb:{key}"] = {"href": pacticipant_url(base, name), "name": name}
    return body


def webhooks(base: str, found: list[Webhook]) -> dict[str, Any]:
    """Every webhook."""
    return {
        "_links": {
            "self": {"href": f"{base}/webhooks", "title": "Webhooks"},
            "pb:create": {"href": f"{base}/webhooks", "title": "POST to create a webhook"},
            "pb:webhooks": [
                {"href": webhook_url(base, w.uuid), "title": w.description or w.uuid} for w in found
            ],
        },
        "_embedded": {"webhooks": [webhook(base, w) for w in found]},
    }


def runs(base: str, key: str | None, found: list[WebhookRun]) -> dict[str, Any]:
    """A webhook's delivery attempts (or every webhook's), newest first."""
    self_href = f"{webhook_url(base, key)}/executions" if key else f"{base}/webhooks/executions"
    return {
        "_links": {"self": {"href": self_href}},
        "executions": [run.to_json() for run in found],
    }
