"""Webhooks: what to call (a request template) when which events happen to which pacts.

Bodies follow the Pact Broker's webhook resource (`events`, `request`, `consumer`,
`provider`, `description`, `enabled`), so `pact broker create-webhook` works unchanged.
"""

from __future__ import annotations

import uuid as uuids
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from interlock.broker.errors import BrokerError, NotFoundError
from interlock.broker.records import as_utc, now
from interlock.store.broker_access_schema import broker_webhooks

EVENTS = (
    "contract_content_changed",
    "contract_published",
    "contract_requiring_verification_published",
    "provider_verification_published",
    "provider_verification_succeeded",
    "provider_verification_failed",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Webhook:
    """A stored webhook."""

    id: int
    uuid: str
    description: str | None
    events: tuple[str, ...]
    request: dict[str, Any]
    consumer: str | None
    provider: str | None
    enabled: bool
    created_at: datetime

    def matches(self, event: str, consumer: str, provider: str) -> bool:
        """True when this webhook fires for `event` on the pact between the two."""
        return (
            self.enabled
            and event in self.events
            and self.consumer in (None, consumer)
            and self.provider in (None, provider)
        )


def _party(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str | None):
        raise BrokerError(f'body.{key}: expected {{"name": ...}}')
    if value.get("label"):
        raise BrokerError(f"body.{key}.label: selecting pacticipants by label is not supported")
    name = value.get("name")
    return name or None


def parse_webhook(
    payload: Any, *, consumer: str | None = None, provider: str | None = None
) -> dict[str, Any]:
    """The columns of a webhook from its Pact Broker body; `BrokerError` naming the field."""
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    events = payload.get("events")
    if not isinstance(events, list) or not events:
        raise BrokerError('body.events: expected a non-empty list of {"name": ...}')
    names: list[str] = []
    for index, event in enumerate(events):
        name = event.get("name") if isinstance(event, dict) else None
        if name not in EVENTS:
            raise BrokerError(f"body.events[{index}].name: expected one of {', '.join(EVENTS)}")
        names.append(str(name))
    request = payload.get("request")
    if not isinstance(request, dict):
        raise BrokerError("body.request: expected an object with method and url")
    method = str(request.get("method", "")).upper()
    if method not in METHODS:
        raise BrokerError(f"body.request.method: expected one of {', '.join(METHODS)}")
    url = request.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BrokerError("body.request.url: expected an http(s) URL")
    headers = request.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise BrokerError("body.request.headers: expected an object of strings")
    stored = {"method": method, "url": url, "headers": headers}
    if "body" in request:
        stored["body"] = request["body"]
    for key in ("username", "password"):
        if isinstance(request.get(key), str):
            stored[key] = request[key]
    description = payload.get("description")
    if description is not None and not isinstance(description, str):
        raise BrokerError("body.description: expected a string")
    enabled = payload.get("enabled", True)
    if not isinstance(enabled, bool):
        raise BrokerError("body.enabled: expected true or false")
    return {
        "description": description,
        "events": names,
        "request": stored,
        "consumer": consumer or _party(payload, "consumer"),
        "provider": provider or _party(payload, "provider"),
        "enabled": enabled,
    }


def _webhook(row: Any) -> Webhook:
    return Webhook(
        row["id"],
        row["uuid"],
        row["description"],
        tuple(row["events"]),
        dict(row["request"]),
        row["consumer"],
        row["provider"],
        bool(row["enabled"]),
        as_utc(row["created_at"]),
    )


def create_webhook(connection: Connection, values: dict[str, Any]) -> Webhook:
    """Store a webhook parsed by `parse_webhook`."""
    key = str(uuids.uuid4())
    connection.execute(insert(broker_webhooks).values(uuid=key, created_at=now(), **values))
    return require_webhook(connection, key)


def update_webhook(connection: Connection, key: str, values: dict[str, Any]) -> Webhook:
    """Replace a webhook's definition."""
    found = require_webhook(connection, key)
    connection.execute(
        update(broker_webhooks).where(broker_webhooks.c.id == found.id).values(values)
    )
    return require_webhook(connection, key)


def delete_webhook(connection: Connection, key: str) -> None:
    """Forget a webhook and its runs."""
    found = require_webhook(connection, key)
    connection.execute(broker_webhooks.delete().where(broker_webhooks.c.id == found.id))


def list_webhooks(connection: Connection) -> list[Webhook]:
    """Every webhook, oldest first."""
    rows = connection.execute(select(broker_webhooks).order_by(broker_webhooks.c.id)).mappings()
    return [_webhook(row) for row in rows]


def require_webhook(connection: Connection, key: str) -> Webhook:
    """The webhook with that uuid; `NotFoundError` if there is none."""
    row = (
        connection.execute(select(broker_webhooks).where(broker_webhooks.c.uuid == key))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no webhook {key!r}")
    return _webhook(row)
