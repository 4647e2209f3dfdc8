"""How incidents are formed: the correlation window, the flapping guard, the map distance,
the service label names; read once from `INTERLOCK_INCIDENT_*` variables or defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from interlock.errors import UserInputError
from interlock.incidents.service_labels import DEFAULT_SERVICE_LABELS


@dataclass(frozen=True)
class IncidentSettings:
    """Correlation settings; see docs/incidents.md for each one's meaning."""

    window_s: float = 600.0
    min_alerts: int = 2
    min_duration_s: float = 60.0
    max_hops: int = 3
    change_lookback_s: float = 7200.0
    service_labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> IncidentSettings:
        """Defaults overridden by `INTERLOCK_INCIDENT_WINDOW_S`, `..._MIN_ALERTS`,
        `..._MIN_DURATION_S`, `..._MAX_HOPS`, `..._CHANGE_LOOKBACK_S`, `..._SERVICE_LABELS`."""
        env = os.environ if environ is None else environ
        base = cls()
        labels = env.get("INTERLOCK_INCIDENT_SERVICE_LABELS", "")
        return cls(
            window_s=_number(env, "INTERLOCK_INCIDENT_WINDOW_S", base.window_s),
            min_alerts=int(_number(env, "INTERLOCK_INCIDENT_MIN_ALERTS", base.min_alerts)),
            min_duration_s=_number(env, "INTERLOCK_INCIDENT_MIN_DURATION_S", base.min_duration_s),
            max_hops=int(_number(env, "INTERLOCK_INCIDENT_MAX_HOPS", base.max_hops)),
            change_lookback_s=_number(
                env, "INTERLOCK_INCIDENT_CHANGE_LOOKBACK_S", base.change_lookback_s
            ),
            service_labels=tuple(n.strip() for n in labels.split(",") if n.strip())
            or base.service_labels,
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
