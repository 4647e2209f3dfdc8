"""The `incidents:` section of a `kind: Config` document in the catalog's interlock.yaml:
rule thresholds, health probe timing and notification routes, checked with line/column.

    apiVersion: interlock/v1
    kind: Config
    incidents:
      rules: {errorRateIncrease: 0.05, p95Factor: 2, minCalls: 10}
      health: {intervalS: 15, timeoutS: 5, failures: 3}
      notify:
        - name: payments-oncall
          url: https://hooks.slack.com/services/...
          format: slack            # or json (the default)
          teams: [team-pay]        # only incidents touching these teams' services
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from interlock.catalog import Document, find_descriptor_files, load_documents
from interlock.incidents.config import (
    NOTIFY_FORMATS,
    RULE_KEYS,
    IncidentSettings,
    NotifyRoute,
    RuleThresholds,
)
from interlock.incidents.model import SEVERITIES

_SECTION_KEYS = ("rules", "health", "notify")
_HEALTH_KEYS = {"intervalS": "health_interval_s", "timeoutS": "health_timeout_s"}
_ROUTE_KEYS = ("name", "url", "format", "teams", "services", "minSeverity")


def load_incident_settings(catalog_dir: Path, base: IncidentSettings) -> IncidentSettings:
    """`base` with what the catalog's Config document says under `incidents:`."""
    for path in find_descriptor_files(catalog_dir):
        if not path.name.startswith("interlock."):
            continue
        for doc in load_documents(path):
            if isinstance(doc.value, dict) and doc.value.get("kind") == "Config":
                section = doc.value.get("incidents")
                if section is not None:
                    return read_section(doc, section, base)
    return base


def read_section(doc: Document, section: Any, base: IncidentSettings) -> IncidentSettings:
    """The settings `section` (the value of `incidents:` in `doc`) describes."""
    _mapping(doc, section, _SECTION_KEYS, "incidents")
    settings = base
    if "rules" in section:
        settings = replace(settings, rules=_rules(doc, section["rules"], settings.rules))
    if "health" in section:
        settings = _health(doc, section["health"], settings)
    if "notify" in section:
        settings = replace(settings, routes=_routes(doc, section["notify"]))
    return settings


def _mapping(doc: Document, value: Any, keys: tuple[str, ...], *where: str | int) -> None:
    if not isinstance(value, dict):
        raise doc.error(f"expected a mapping with {', '.join(keys)}", *where)
    for key in value:
        if key not in keys:
            raise doc.error(f"unknown key {key!r}: expected one of {', '.join(keys)}", *where, key)


def _positive(doc: Document, value: Any, *where: str | int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise doc.error("expected a number above 0", *where)
    return float(value)


def _rules(doc: Document, value: Any, base: RuleThresholds) -> RuleThresholds:
    _mapping(doc, value, tuple(RULE_KEYS), "incidents", "rules")
    return base.merged(
        {key: _positive(doc, number, "incidents", "rules", key) for key, number in value.items()}
    )


def _health(doc: Document, value: Any, base: IncidentSettings) -> IncidentSettings:
    _mapping(doc, value, (*_HEALTH_KEYS, "failures"), "incidents", "health")
    values: dict[str, Any] = {
        _HEALTH_KEYS[key]: _positive(doc, value[key], "incidents", "health", key)
        for key in _HEALTH_KEYS
        if key in value
    }
    if "failures" in value:
        failures = value["failures"]
        if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
            raise doc.error(
                "expected a whole number of 1 or more", "incidents", "health", "failures"
            )
        values["health_failures"] = failures
    return replace(base, **values)


def _routes(doc: Document, value: Any) -> tuple[NotifyRoute, ...]:
    if not isinstance(value, list):
        raise doc.error("expected a list of routes (name, url, format...)", "incidents", "notify")
    routes = []
    for index, item in enumerate(value):
        where: tuple[str | int, ...] = ("incidents", "notify", index)
        _mapping(doc, item, _ROUTE_KEYS, *where)
        for key in ("name", "url"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise doc.error(f"'{key}' is required: expected a string", *where, key)
        if not item["url"].startswith(("http://", "https://")):
            raise doc.error("expected an http:// or https:// URL", *where, "url")
        form = item.get("format", "json")
        if form not in NOTIFY_FORMATS:
            raise doc.error(f"expected one of {', '.join(NOTIFY_FORMATS)}", *where, "format")
        severity = item.get("minSeverity")
        if severity is not None and severity not in SEVERITIES:
            raise doc.error(f"expected one of {', '.join(SEVERITIES)}", *where, "minSeverity")
        routes.append(
            NotifyRoute(
                name=item["name"],
                url=item["url"],
                format=form,
                teams=tuple(_names(doc, item.get("teams"), *where, "teams")),
                services=tuple(_names(doc, item.get("services"), *where, "services")),
                min_severity=severity,
            )
        )
    return tuple(routes)


def _names(doc: Document, value: Any, *where: str | int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise doc.error("expected a list of names", *where)
    return list(value)
