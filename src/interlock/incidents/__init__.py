"""Incidents: alerts in (Alertmanager, Grafana, a plain form), change events, correlation
into incidents on the service map, their lifecycle, and RED out at `/metrics`.

Other packages use only the names below; `record_change` is how they report a change.
"""

from interlock.incidents.changes import changes_between, recent_changes, record_change
from interlock.incidents.config import IncidentSettings
from interlock.incidents.correlation import IntakeResult, probable_origin
from interlock.incidents.desk import IncidentDesk
from interlock.incidents.http_routes import incident_desk, mount_incidents, problem
from interlock.incidents.intake_formats import (
    AlertPayloadError,
    parse_alertmanager,
    parse_grafana,
    parse_plain,
)
from interlock.incidents.lifecycle import (
    TransitionRefused,
    acknowledge_incident,
    resolve_incident,
)
from interlock.incidents.metrics_exposition import exposition
from interlock.incidents.model import Alert, AlertIn, ChangeEvent, Incident, Transition
from interlock.incidents.postmortem import postmortem_markdown
from interlock.incidents.records import IncidentNotFound
from interlock.incidents.reports import (
    IncidentReport,
    OriginCheck,
    RankedChange,
    incident_report,
    list_incidents,
)
from interlock.incidents.service_labels import DEFAULT_SERVICE_LABELS, ServiceMatch, ServiceNames
from interlock.incidents.timeline_svg import timeline_svg

__all__ = [
    "DEFAULT_SERVICE_LABELS",
    "Alert",
    "AlertIn",
    "AlertPayloadError",
    "ChangeEvent",
    "Incident",
    "IncidentDesk",
    "IncidentNotFound",
    "IncidentReport",
    "IncidentSettings",
    "IntakeResult",
    "OriginCheck",
    "RankedChange",
    "ServiceMatch",
    "ServiceNames",
    "Transition",
    "TransitionRefused",
    "acknowledge_incident",
    "changes_between",
    "exposition",
    "incident_desk",
    "incident_report",
    "list_incidents",
    "mount_incidents",
    "parse_alertmanager",
    "parse_grafana",
    "parse_plain",
    "postmortem_markdown",
    "probable_origin",
    "problem",
    "recent_changes",
    "record_change",
    "resolve_incident",
    "timeline_svg",
]
