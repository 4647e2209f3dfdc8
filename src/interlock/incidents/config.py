"""How incidents are formed and watched: the correlation window, the flapping guard, the
map distance, the service label names, the rule thresholds, the health probes and the
notification routes; read once from defaults, the catalog's `kind: Config` document
(`incidents:`), then `INTERLOCK_INCIDENT_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from interlock.errors import UserInputError
from interlock.incidents.service_labels import DEFAULT_SERVICE_LABELS

NOTIFY_FORMATS = ("json", "slack")

# camelCase key in a catalog's alertRules (or the Config's incidents.rules) -> field
RULE_KEYS = {
    "errorRate": "error_rate",
    "errorRateIncrease": "error_rate_increase",
    "p95Ms": "p95_ms",
    "p95Factor": "p95_factor",
    "minCalls": "min_calls",
}


@dataclass(frozen=True)
class RuleThresholds:
    """When a rule over the span aggregates fires for a service or an edge.

    Error rate: at least `error_rate_increase` above the service's own baseline, or above
    `error_rate` when set. Latency: p95 at least `p95_factor` times the baseline's p95, or
    above `p95_ms` when set. Either needs `min_calls` calls in the window.
    """

    error_rate_increase: float = 0.05
    error_rate: float | None = None
    p95_factor: float = 2.0
    p95_ms: float | None = None
    min_calls: int = 10

    def merged(self, overrides: Mapping[str, Any]) -> RuleThresholds:
        """These thresholds with a service's own (`alertRules`, camelCase keys) laid over."""
        values: dict[str, Any] = {}
        for key, number in overrides.items():
            name = RULE_KEYS.get(key)
            if name is not None:
                values[name] = int(number) if name == "min_calls" else float(number)
        return replace(self, **values) if values else self


@dataclass(frozen=True)
class NotifyRoute:
    """An outgoing webhook: where, in which body format, for which teams/services/severity."""

    name: str
    url: str
    format: str = "json"  # json | slack
    teams: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    min_severity: str | None = None


@dataclass(frozen=True)
class IncidentSettings:
    """Incident settings; see docs/incidents.md for each one's meaning."""

    window_s: float = 600.0
    min_alerts: int = 2
    min_duration_s: float = 60.0
    max_hops: int = 3
    change_lookback_s: float = 7200.0
    service_labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS
    rules: RuleThresholds = field(default_factory=RuleThresholds)
    rule_interval_s: float = 15.0
    rule_window_s: float = 120.0
    baseline_s: float = 1800.0
    health_interval_s: float = 15.0
    health_timeout_s: float = 5.0
    health_failures: int = 3
    tick_s: float = 5.0
    routes: tuple[NotifyRoute, ...] = ()
    dashboard_url: str = ""

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, base: IncidentSettings | None = None
    ) -> IncidentSettings:
        """`base` (defaults, or what the catalog's Config says) overridden by
        `INTERLOCK_INCIDENT_<FIELD>` for each number field (`..._WINDOW_S`, `..._MIN_ALERTS`,
        `..._RULE_INTERVAL_S`, `..._HEALTH_FAILURES`...) and `..._SERVICE_LABELS`."""
        env = os.environ if environ is None else environ
        base = base or cls()
        values: dict[str, Any] = {}
        for name in _NUMBER_FIELDS:
            variable = f"INTERLOCK_INCIDENT_{name.upper()}"
            current = getattr(base, name)
            number = _number(env, variable, float(current))
            values[name] = int(number) if isinstance(current, int) else number
        labels = env.get("INTERLOCK_INCIDENT_SERVICE_LABELS", "")
        values["service_labels"] = (
            tuple(n.strip() for n in labels.split(",") if n.strip()) or base.service_labels
        )
        return replace(base, **values)


_NUMBER_FIELDS = (
    "window_s",
    "min_alerts",
    "min_duration_s",
    "max_hops",
    "change_lookback_s",
    "rule_interval_s",
    "rule_window_s",
    "baseline_s",
    "health_interval_s",
    "health_timeout_s",
    "health_failures",
    "tick_s",
)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UserInputError(f"{name}={text!r}: expected a number of 0 or more")
    return value
