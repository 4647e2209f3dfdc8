"""`mount_broker`: the Pact Broker API on the server, its webhook dispatcher, and the
retention schedule that prunes old versions while the server runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from interlock.broker.audit import AuditWriter
from interlock.broker.config import BrokerSettings
from interlock.broker.retention import prune_versions
from interlock.broker.routes import router
from interlock.broker.webhook_delivery import WebhookDispatcher

log = logging.getLogger(__name__)


def _prune_on_schedule(app: FastAPI, settings: BrokerSettings, stop: threading.Event) -> None:
    assert settings.retention_days is not None
    while not stop.wait(settings.retention_interval_s):
        engine: Engine | None = getattr(app.state, "engine", None)
        if engine is None:
            continue
        try:
            report = prune_versions(engine, settings.retention_days)
        except Exception:  # the next round tries again; the server must not stop for this
            log.exception("broker retention failed")
            continue
        app.state.broker_last_prune = report
        log.info("broker retention: %s", report.to_json())


def mount_broker(app: FastAPI, settings: BrokerSettings | None = None) -> None:
    """Serve the broker under /broker; deliver webhooks; prune on schedule when configured."""
    settings = settings or BrokerSettings.from_environment()
    app.state.broker_settings = settings
    dispatcher = WebhookDispatcher(settings)
    app.state.broker_webhooks = dispatcher
    audit = AuditWriter()
    app.state.broker_audit = audit
    app.include_router(router)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(owner: Any) -> AsyncIterator[Any]:
        stop = threading.Event()
        if settings.retention_days is not None:
            threading.Thread(
                target=_prune_on_schedule,
                args=(app, settings, stop),
                name="broker retention",
                daemon=True,
            ).start()
        async with previous(owner) as state:
            try:
                yield state
            finally:
                stop.set()
                await run_in_threadpool(dispatcher.close)
                await run_in_threadpool(audit.close)

    app.router.lifespan_context = lifespan
