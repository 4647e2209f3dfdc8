"""Interlock's own descriptor, `interlock.yaml`: what Backstage cannot say.

One document per service (multi-document files allowed):

    apiVersion: interlock/v1
    kind: Service
    name: orders
    owner: team-orders          # a Group, optional when a Backstage Component says it
    telemetryName: orders-svc   # OpenTelemetry service.name, when it differs
    pactName: Orders            # Pact participant name, when it differs
    health: http://orders:8080/health   # probed by `interlock server`; failures alert
    alertRules:                 # thresholds of the span rules (see docs/incidents.md)
      errorRateIncrease: 0.05   # over its own recent baseline
      p95Factor: 2
    calls: [payments, inventory]
    databases:                  # databases this service owns, with their tables
      orders:
        tables:
          orders: [id, product_id, quantity, status]
    reads:                      # tables of databases owned by others
      inventory.products: [id, name, price]
    writes:
      inventory.products: [stock]
"""

from __future__ import annotations

from typing import Any

from interlock.catalog.declarations import (
    Declarations,
    Entity,
    Reference,
    check_name,
    document_mapping,
    source_of,
    string_list,
)
from interlock.catalog.model import EdgeKind, NodeKind
from interlock.catalog.yamlsource import Document

API_VERSION = "interlock/v1"
SERVICE_FIELDS = {
    "apiVersion",
    "kind",
    "name",
    "owner",
    "system",
    "description",
    "telemetryName",
    "pactName",
    "calls",
    "databases",
    "reads",
    "writes",
    "health",
    "alertRules",
}
# The thresholds a service may set for the rules over its span aggregates.
ALERT_RULE_FIELDS = ("errorRate", "errorRateIncrease", "p95Ms", "p95Factor", "minCalls")


def read_interlock(doc: Document) -> Declarations:
    out = Declarations()
    if isinstance(doc.value, dict) and doc.value.get("kind") == "Config":
        return out  # project settings (e.g. `migrations:`), read by the capabilities that use them
    value = document_mapping(out, doc, ("apiVersion", "kind", "name"), (API_VERSION,))
    if value is None:
        return out
    if value["kind"] != "Service":
        out.finding(
            "unknown-kind",
            f"unknown kind {value['kind']!r}: expected 'Service' or 'Config'",
            doc,
            "kind",
        )
        return out
    for key in value:
        if key not in SERVICE_FIELDS:
            out.finding(
                "unknown-field",
                f"unknown field {key!r}: expected one of {', '.join(sorted(SERVICE_FIELDS))}",
                doc,
                key,
            )
    name = check_name(out, doc, value["name"], "name")
    if name is None:
        return out
    attrs: dict[str, Any] = {}
    for key, attr in (
        ("telemetryName", "telemetry_name"),
        ("pactName", "pact_name"),
        ("system", "system"),
        ("description", "description"),
    ):
        if key in value:
            if not isinstance(value[key], str):
                out.finding("bad-field", f"'{key}' must be a string", doc, key)
            else:
                attrs[attr] = value[key]
    _health(out, doc, value.get("health"), attrs)
    _alert_rules(out, doc, value.get("alertRules"), attrs)
    out.entities.append(Entity(NodeKind.SERVICE, "Service", name, source_of(doc, "name"), attrs))
    origin = (NodeKind.SERVICE, name)
    if isinstance(value.get("owner"), str):
        out.references.append(
            Reference(
                origin,
                ("group",),
                value["owner"].removeprefix("group:"),
                EdgeKind.OWNED_BY,
                source_of(doc, "owner"),
            )
        )
    for index, callee in enumerate(string_list(out, doc, value.get("calls"), "calls")):
        out.references.append(
            Reference(
                origin, ("component",), callee, EdgeKind.CALLS, source_of(doc, "calls", index)
            )
        )
    _databases(out, doc, name, value.get("databases"))
    for field, edge in (("reads", EdgeKind.READS), ("writes", EdgeKind.WRITES)):
        _table_uses(out, doc, name, field, edge, value.get(field))
    return out


def _health(out: Declarations, doc: Document, value: Any, attrs: dict[str, Any]) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        out.finding("bad-field", "'health' must be an http:// or https:// URL", doc, "health")
        return
    attrs["health_url"] = value


def _alert_rules(out: Declarations, doc: Document, value: Any, attrs: dict[str, Any]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        out.finding(
            "bad-field",
            f"'alertRules' must map thresholds ({', '.join(ALERT_RULE_FIELDS)}) to numbers",
            doc,
            "alertRules",
        )
        return
    rules: dict[str, float] = {}
    for key, number in value.items():
        if key not in ALERT_RULE_FIELDS:
            out.finding(
                "unknown-field",
                f"unknown threshold {key!r}: expected one of {', '.join(ALERT_RULE_FIELDS)}",
                doc,
                "alertRules",
                key,
            )
        elif isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            out.finding("bad-field", f"'{key}' must be a number above 0", doc, "alertRules", key)
        else:
            rules[key] = float(number)
    attrs["alert_rules"] = rules


def _databases(out: Declarations, doc: Document, owner: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        out.finding(
            "bad-field", "'databases' must map database names to {tables: ...}", doc, "databases"
        )
        return
    for db_name, body in value.items():
        name = check_name(out, doc, db_name, "databases", db_name)
        if name is None:
            continue
        out.entities.append(
            Entity(NodeKind.DATABASE, "Database", name, source_of(doc, "databases", db_name), {})
        )
        out.references.append(
            Reference(
                (NodeKind.SERVICE, owner),
                ("database",),
                name,
                EdgeKind.OWNS,
                source_of(doc, "databases", db_name),
            )
        )
        tables = (body or {}).get("tables", {}) if isinstance(body, dict) else None
        if not isinstance(tables, dict):
            out.finding(
                "bad-field",
                "'tables' must map table names to lists of columns",
                doc,
                "databases",
                db_name,
            )
            continue
        for table, columns in tables.items():
            key = ("databases", db_name, "tables", table)
            if check_name(out, doc, table, *key) is None:
                continue
            cols = string_list(out, doc, columns, *key)
            out.entities.append(
                Entity(
                    NodeKind.TABLE,
                    "Table",
                    f"{name}.{table}",
                    source_of(doc, *key),
                    {"database": name, "table": table, "columns": cols},
                )
            )


def _table_uses(
    out: Declarations, doc: Document, service: str, field: str, edge: EdgeKind, value: Any
) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        out.finding(
            "bad-field", f"'{field}' must map 'database.table' to a list of columns", doc, field
        )
        return
    for table, columns in value.items():
        if not isinstance(table, str) or table.count(".") != 1:
            out.finding("bad-name", f"{table!r}: expected 'database.table'", doc, field, table)
            continue
        cols = () if columns in ("*", None) else tuple(string_list(out, doc, columns, field, table))
        out.references.append(
            Reference(
                (NodeKind.SERVICE, service),
                ("table",),
                table,
                edge,
                source_of(doc, field, table),
                cols,
            )
        )
