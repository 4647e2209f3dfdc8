"""The server's incident watch: one background task that, every few seconds, probes the
declared health URLs, runs the span rules, takes the alert outbox, opens and resolves what
is due, and sends the notifications; each step's failure is logged and the watch goes on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from interlock.incidents.desk import IncidentDesk

log = logging.getLogger("interlock.incidents")


class IncidentWatch:
    """Runs the desk's periodic steps at their own intervals until cancelled."""

    def __init__(self, desk: IncidentDesk) -> None:
        self.desk = desk
        self._last: dict[str, float] = {}

    async def run(self) -> None:
        """Tick forever (until the task is cancelled)."""
        while True:
            await self.tick()
            await asyncio.sleep(self.desk.settings.tick_s)

    async def tick(self) -> None:
        """One round: each step whose interval has passed."""
        settings = self.desk.settings
        if self._due("health", settings.health_interval_s):
            await self._step("health checks", self._health)
        if self._due("rules", settings.rule_interval_s):
            await self._step("span rules", lambda: run_in_threadpool(self.desk.evaluate_rules))
        await self._step("alert outbox", lambda: run_in_threadpool(self.desk.take_outbox))
        await self._step("housekeeping", lambda: run_in_threadpool(self.desk.housekeeping))
        await self._step("notifications", lambda: run_in_threadpool(self.desk.notify))

    async def _health(self) -> object:
        found = await self.desk.probe_health(datetime.now(UTC))
        return await run_in_threadpool(self.desk.receive_alerts, found) if found else None

    def _due(self, step: str, interval_s: float) -> bool:
        now = time.monotonic()
        if now - self._last.get(step, float("-inf")) < interval_s:
            return False
        self._last[step] = now
        return True

    async def _step(self, what: str, step: Callable[[], Awaitable[object]]) -> None:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed step (a database hiccup) must not end the watch
            log.exception("incident watch: %s failed", what)
