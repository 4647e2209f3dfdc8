"""Health probes: each catalog service with a `health:` URL is fetched on an interval;
`failures` failed probes in a row open an alert, the first success after resolves it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from interlock.catalog import CatalogGraph, NodeKind
from interlock.incidents.model import AlertIn

ALERT_NAME = "HealthCheckFailing"


@dataclass(frozen=True)
class HealthTarget:
    """A service and the URL that says whether it is up."""

    service: str
    url: str


def health_targets(graph: CatalogGraph) -> list[HealthTarget]:
    """The services that declare a `health:` URL in their interlock.yaml."""
    return [
        HealthTarget(node.name, str(node.attrs["health_url"]))
        for node in graph.nodes(NodeKind.SERVICE)
        if node.attrs.get("health_url")
    ]


@dataclass
class _Streak:
    failures: int = 0
    first_failure: datetime | None = None
    firing_since: datetime | None = None
    detail: str = ""


@dataclass
class HealthChecker:
    """Remembers each target's run of failures; `observe` turns one probe into an alert."""

    targets: list[HealthTarget]
    failures: int = 3
    timeout_s: float = 5.0
    _streaks: dict[str, _Streak] = field(default_factory=dict)

    async def probe_all(self, now: datetime | None = None) -> list[AlertIn]:
        """Probe every target at once; the alerts that open or resolve."""
        moment = now or datetime.now(UTC)
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            results = await asyncio.gather(*(_probe(client, t) for t in self.targets))
        found = [
            self.observe(t, ok, detail, moment)
            for t, (ok, detail) in zip(self.targets, results, strict=True)
        ]
        return [alert for alert in found if alert is not None]

    def observe(self, target: HealthTarget, ok: bool, detail: str, now: datetime) -> AlertIn | None:
        """Count one probe; an alert when the streak reaches `failures` or a firing one ends."""
        streak = self._streaks.setdefault(target.service, _Streak())
        if ok:
            since = streak.firing_since
            self._streaks[target.service] = _Streak()
            if since is None:
                return None
            return _alert(target, "resolved", since, now, f"{target.url} answers again")
        streak.failures += 1
        streak.first_failure = streak.first_failure or now
        streak.detail = detail
        if streak.firing_since is None and streak.failures >= self.failures:
            streak.firing_since = streak.first_failure
        if streak.firing_since is None:
            return None
        summary = f"{target.url}: {detail} ({streak.failures} failed checks in a row)"
        return _alert(target, "firing", streak.firing_since, None, summary)


async def _probe(client: httpx.AsyncClient, target: HealthTarget) -> tuple[bool, str]:
    try:
        response = await client.get(target.url)
    except httpx.HTTPError as error:
        return False, f"{type(error).__name__}: {error}".rstrip(": ")
    if response.status_code >= 400:
        return False, f"HTTP {response.status_code}"
    return True, f"HTTP {response.status_code}"


def _alert(
    target: HealthTarget, status: str, since: datetime, ended: datetime | None, summary: str
) -> AlertIn:
    return AlertIn(
        source="health",
        name=ALERT_NAME,
        status=status,
        starts_at=since,
        ends_at=ended,
        fingerprint=f"health:{target.service}",
        labels={"alertname": ALERT_NAME, "service": target.service},
        severity="critical",
        summary=summary,
        service=target.service,
        generator_url=target.url,
    )
