"""Delivering webhooks: each matching webhook's request, filled in and sent, retried with a
doubling backoff until it answers 2xx or the attempts run out; every attempt is logged.

Deliveries run in background threads so a publish never waits for a slow receiver.
"""

from __future__ import annotations

import json
import threading
import time
import uuid as uuids
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select

from interlock.broker.config import BrokerSettings
from interlock.broker.records import as_utc, now
from interlock.broker.webhook_events import BrokerEvent, render
from interlock.broker.webhooks import Webhook, list_webhooks
from interlock.store.broker_access_schema import broker_webhook_runs, broker_webhooks

_KEPT_RESPONSE = 2000
"""Characters of a receiver's answer kept in the log."""


@dataclass(frozen=True)
class WebhookRun:
    """One attempt to deliver one event to one webhook."""

    id: int
    webhook: str
    delivery: str
    event: str
    attempt: int
    success: bool
    status: int | None
    error: str | None
    request: dict[str, Any]
    response: str | None
    duration_ms: float
    occurred_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook": self.webhook,
            "delivery": self.delivery,
            "event": self.event,
            "attempt": self.attempt,
            "success": self.success,
            "status": self.status,
            "error": self.error,
            "request": self.request,
            "response": self.response,
            "durationMs": round(self.duration_ms, 1),
            "occurredAt": self.occurred_at.isoformat().replace("+00:00", "Z"),
        }


def build_request(webhook: Webhook, event: BrokerEvent) -> dict[str, Any]:
    """The request to send: the webhook's template filled with the event's variables."""
    template = webhook.request
    headers = {k: render(v, event.variables) for k, v in template.get("headers", {}).items()}
    body = template.get("body")
    text: str | None = None
    if isinstance(body, dict | list):
        text = json.dumps(render(body, event.variables))
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif body is not None:
        text = str(render(body, event.variables))
    return {
        "method": template["method"],
        "url": render(template["url"], event.variables),
        "headers": headers,
        "body": text,
    }


class WebhookDispatcher:
    """Sends events to the webhooks that want them, in the background, with retries."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def dispatch(self, engine: Engine, events: list[BrokerEvent]) -> None:
        """Deliver `events` to every enabled webhook that matches, in a background thread."""
        if not events or self._stop.is_set():
            return
        thread = threading.Thread(
            target=self._deliver_all, args=(engine, events), name="webhooks", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop retrying; wait briefly for deliveries under way."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=timeout_s)

    def wait(self, timeout_s: float = 30.0) -> None:
        """Wait until the deliveries started so far have finished (for tests and the demo)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _deliver_all(self, engine: Engine, events: list[BrokerEvent]) -> None:
        try:
            with engine.connect() as connection:
                webhooks = list_webhooks(connection)
            for event in events:
                for webhook in webhooks:
                    if webhook.matches(event.name, event.consumer, event.provider):
                        self.deliver(engine, webhook, event)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def deliver(
        self, engine: Engine, webhook: Webhook, event: BrokerEvent, attempts: int | None = None
    ) -> list[WebhookRun]:
        """Send one event to one webhook, retrying; the runs, as logged."""
        request = build_request(webhook, event)
        delivery = str(uuids.uuid4())
        runs: list[WebhookRun] = []
        for attempt in range(1, (attempts or self.settings.webhook_attempts) + 1):
            if attempt > 1:
                wait = self.settings.webhook_backoff_s * 2 ** (attempt - 2)
                if self._stop.wait(wait):
                    break
            run = self._attempt(engine, webhook, event, request, delivery, attempt)
            runs.append(run)
            if run.success:
                break
        return runs

    def _attempt(
        self,
        engine: Engine,
        webhook: Webhook,
        event: BrokerEvent,
        request: dict[str, Any],
        delivery: str,
        attempt: int,
    ) -> WebhookRun:
        auth = None
        if "username" in webhook.request:
            auth = (webhook.request["username"], webhook.request.get("password", ""))
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        response: str | None = None
        try:
            answer = httpx.request(
                request["method"],
                request["url"],
                headers=request["headers"],
                content=request["body"],
                auth=auth,
                timeout=self.settings.webhook_timeout_s,
            )
            status = answer.status_code
            response = answer.text[:_KEPT_RESPONSE]
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        duration_ms = (time.perf_counter() - started) * 1000
        success = status is not None and 200 <= status < 300
        moment = now()
        values = {
            "webhook_id": webhook.id,
            "delivery": delivery,
            "event": event.name,
            "attempt": attempt,
            "success": success,
            "status": status,
            "error": error,
            "request": request,
            "response": response,
            "duration_ms": duration_ms,
            "occurred_at": moment,
        }
        with engine.begin() as connection:
            new_id = connection.execute(
                insert(broker_webhook_runs).values(values).returning(broker_webhook_runs.c.id)
            ).scalar_one()
        return WebhookRun(
            int(new_id),
            webhook.uuid,
            delivery,
            event.name,
            attempt,
            success,
            status,
            error,
            request,
            response,
            duration_ms,
            moment,
        )


def webhook_runs(engine: Engine, webhook: str | None = None, limit: int = 100) -> list[WebhookRun]:
    """The latest delivery attempts (of one webhook, or of all), newest first."""
    query = (
        select(broker_webhook_runs, broker_webhooks.c.uuid)
        .join(broker_webhooks, broker_webhooks.c.id == broker_webhook_runs.c.webhook_id)
        .order_by(broker_webhook_runs.c.id.desc())
        .limit(limit)
    )
    if webhook is not None:
        query = query.where(broker_webhooks.c.uuid == webhook)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        WebhookRun(
            row["id"],
            row["uuid"],
            row["delivery"],
            row["event"],
            row["attempt"],
            bool(row["success"]),
            row["status"],
            row["error"],
            dict(row["request"]),
            row["response"],
            float(row["duration_ms"]),
            as_utc(row["occurred_at"]),
        )
        for row in rows
    ]
