"""The alert formats Interlock reads: Alertmanager's webhook (version 4), Grafana
alerting's webhook, and a plain JSON form; each becomes a list of `AlertIn`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from interlock.errors import UserInputError
from interlock.incidents.model import AlertIn

# Alertmanager's "zero" end time of a firing alert: Go's zero time.
_GO_ZERO_YEAR = 1
TRACE_ID_KEYS = ("trace_id", "traceID", "trace.id", "traceId")


class AlertPayloadError(UserInputError):
    """A webhook or plain alert payload that does not have the expected shape."""

    def __init__(self, where: str, expected: str) -> None:
        super().__init__(f"{where}: expected {expected}")


def parse_alertmanager(payload: Any, source: str = "alertmanager") -> list[AlertIn]:
    """Alertmanager's webhook payload (version 4); Grafana's shares its shape."""
    body = _mapping(payload, "$")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise AlertPayloadError("$.alerts", "a list of alerts")
    group_key = body.get("groupKey")
    common = _strings(body.get("commonLabels") or {}, "$.commonLabels")
    out: list[AlertIn] = []
    for index, item in enumerate(alerts):
        where = f"$.alerts[{index}]"
        alert = _mapping(item, where)
        labels = {**common, **_strings(alert.get("labels") or {}, f"{where}.labels")}
        annotations = _strings(alert.get("annotations") or {}, f"{where}.annotations")
        status = _status(alert.get("status", body.get("status")), f"{where}.status")
        name = labels.get("alertname") or labels.get("grafana_folder") or ""
        if not name:
            raise AlertPayloadError(f"{where}.labels.alertname", "the alert's name")
        starts = _time(alert.get("startsAt"), f"{where}.startsAt", required=True)
        assert starts is not None
        ends = _time(alert.get("endsAt"), f"{where}.endsAt", required=False)
        fingerprint = alert.get("fingerprint")
        if fingerprint is not None and not isinstance(fingerprint, str):
            raise AlertPayloadError(f"{where}.fingerprint", "a string")
        out.append(
            AlertIn(
                source=source,
                name=name,
                status=status,
                starts_at=starts,
                ends_at=ends if status == "resolved" else None,
                fingerprint=fingerprint or _fingerprint(source, name, labels),
                labels=labels,
                annotations=annotations,
                severity=labels.get("severity", "warning"),
                summary=annotations.get("summary") or annotations.get("description") or "",
                generator_url=_optional_text(alert.get("generatorURL"), f"{where}.generatorURL"),
                group_key=group_key if isinstance(group_key, str) else None,
                trace_ids=_trace_ids(labels, annotations),
            )
        )
    return out


def parse_grafana(payload: Any) -> list[AlertIn]:
    """Grafana alerting's webhook contact point payload (Alertmanager-shaped, version 1)."""
    return parse_alertmanager(payload, source="grafana")


def parse_plain(payload: Any, now: datetime | None = None) -> list[AlertIn]:
    """One plain alert or a list of them: `name` required, the rest optional."""
    items = payload if isinstance(payload, list) else [payload]
    prefix = "$" if isinstance(payload, list) else ""
    return [
        _plain(item, f"{prefix}[{index}]" if prefix else "$", now)
        for index, item in enumerate(items)
    ]


def _plain(item: Any, where: str, now: datetime | None) -> AlertIn:
    alert = _mapping(item, where)
    name = alert.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AlertPayloadError(f"{where}.name", "the alert's name, a non-empty string")
    labels = _strings(alert.get("labels") or {}, f"{where}.labels")
    service = _optional_text(alert.get("service"), f"{where}.service")
    status = _status(alert.get("status", "firing"), f"{where}.status")
    starts = _time(alert.get("starts_at"), f"{where}.starts_at", required=False)
    ends = _time(alert.get("ends_at"), f"{where}.ends_at", required=False)
    severity = _optional_text(alert.get("severity"), f"{where}.severity") or labels.get(
        "severity", "warning"
    )
    summary = _optional_text(alert.get("summary"), f"{where}.summary") or ""
    fingerprint = _optional_text(alert.get("fingerprint"), f"{where}.fingerprint")
    identity = {**labels, "service": service or ""}
    return AlertIn(
        source="plain",
        name=name.strip(),
        status=status,
        starts_at=starts or now or datetime.now(UTC),
        ends_at=(ends or now or datetime.now(UTC)) if status == "resolved" else None,
        fingerprint=fingerprint or _fingerprint("plain", name.strip(), identity),
        labels=labels,
        severity=severity,
        summary=summary,
        service=service,
        trace_ids=_trace_ids(labels, {}),
    )


def parse_time(value: Any, where: str) -> datetime | None:
    """An optional RFC 3339 time (None when absent); `AlertPayloadError` names `where`."""
    return _time(value, where, required=False)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AlertPayloadError(where, "a JSON object")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    mapping = _mapping(value, where)
    for key, item in mapping.items():
        if not isinstance(item, str | int | float | bool):
            raise AlertPayloadError(f"{where}.{key}", "a string value")
    return {str(key): str(item) for key, item in mapping.items()}


def _optional_text(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AlertPayloadError(where, "a string")
    return value


def _status(value: Any, where: str) -> str:
    if value not in ("firing", "resolved"):
        raise AlertPayloadError(where, "'firing' or 'resolved'")
    return str(value)


def _time(value: Any, where: str, *, required: bool) -> datetime | None:
    if value is None or value == "":
        if required:
            raise AlertPayloadError(where, "an RFC 3339 time")
        return None
    if not isinstance(value, str):
        raise AlertPayloadError(where, "an RFC 3339 time")
    try:
        moment = datetime.fromisoformat(_trim_fraction(value.replace("Z", "+00:00")))
    except ValueError:
        raise AlertPayloadError(where, f"an RFC 3339 time, not {value!r}") from None
    if moment.tzinfo is None:
        raise AlertPayloadError(where, f"an RFC 3339 time with a zone, not {value!r}")
    if moment.year <= _GO_ZERO_YEAR:
        return None
    return moment.astimezone(UTC)


def _trim_fraction(text: str) -> str:
    # Go writes nanoseconds (9 digits); Python reads at most microseconds.
    head, dot, rest = text.partition(".")
    if not dot:
        return text
    digits = len(rest) - len(rest.lstrip("0123456789"))
    return f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"


def _fingerprint(source: str, name: str, labels: dict[str, str]) -> str:
    identity = "\x1f".join([source, name, *(f"{k}={v}" for k, v in sorted(labels.items()))])
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _trace_ids(*sources: dict[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for source in sources:
        for key in TRACE_ID_KEYS:
            value = source.get(key, "").strip().lower()
            if len(value) == 32 and value not in found:
                found.append(value)
    return tuple(found)
