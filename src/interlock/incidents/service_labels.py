"""Which service an alert is about: the configured label names, matched against the
catalog's service names and their aliases (telemetry and Pact names)."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.catalog import CatalogGraph, NodeKind

DEFAULT_SERVICE_LABELS = (
    "service",
    "service_name",
    "job",
    "app",
    "app.kubernetes.io/name",
    "k8s.deployment.name",
)


@dataclass(frozen=True)
class ServiceMatch:
    """The catalog service an alert names, or the label it could not map (service None)."""

    service: str | None
    label: str | None
    value: str | None

    @property
    def key(self) -> str | None:
        """How the incident lists it: the service, or `label=value` when unmapped."""
        if self.service:
            return self.service
        return f"{self.label}={self.value}" if self.label else None


class ServiceNames:
    """Catalog service names and aliases, looked up by the labels alerts carry."""

    def __init__(self, graph: CatalogGraph, labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS):
        self.labels = labels
        self._names: dict[str, str] = {}
        self.telemetry: dict[str, str] = {}
        for node in graph.nodes(NodeKind.SERVICE):
            self._names[node.name.lower()] = node.name
            for key in ("telemetry_name", "pact_name"):
                alias = node.attrs.get(key)
                if isinstance(alias, str) and alias:
                    self._names.setdefault(alias.lower(), node.name)
            self.telemetry[node.name] = str(node.attrs.get("telemetry_name") or node.name)

    def lookup(self, value: str) -> str | None:
        """The catalog name for `value`: exact, or the last part of `namespace/name`."""
        text = value.strip().lower()
        return self._names.get(text) or self._names.get(text.rsplit("/", 1)[-1])

    def match(self, labels: dict[str, str], named: str | None = None) -> ServiceMatch:
        """The service of an alert; `named` (the plain form's `service`) comes first."""
        if named:
            found = self.lookup(named)
            return ServiceMatch(found, "service", named)
        first: ServiceMatch | None = None
        for label in self.labels:
            value = labels.get(label)
            if not value:
                continue
            found = self.lookup(value)
            if found:
                return ServiceMatch(found, label, value)
            first = first or ServiceMatch(None, label, value)
        return first or ServiceMatch(None, None, None)

    def telemetry_name(self, service: str) -> str:
        """The OpenTelemetry `service.name` of a catalog service."""
        return self.telemetry.get(service, service)

    def catalog_name(self, telemetry: str) -> str:
        """The catalog name for a `service.name` seen in spans (itself when unknown)."""
        return self.lookup(telemetry) or telemetry
