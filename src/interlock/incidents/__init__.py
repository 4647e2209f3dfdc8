"""Incidents: alerts in (Alertmanager, Grafana, a plain form), change events, correlation
into incidents on the service map, their lifecycle, and RED out at `/metrics`.

Other packages use only the names below; `record_change` is how they report a change,
`raise_alert` (with `verification_alert` or `migration_alert`) how they raise an alert.
"""

from interlock.incidents.changes import changes_between, recent_changes, record_change
from interlock.incidents.config import IncidentSettings, NotifyRoute, RuleThresholds
from interlock.incidents.config_file import load_incident_settings
from interlock.incidents.correlation import IntakeResult, probable_origin
from interlock.incidents.desk import IncidentDesk, IncidentPage
from interlock.incidents.http_routes import incident_desk, mount_incidents, problem
from interlock.incidents.incident_map import incident_map_svg
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
from interlock.incidents.notifications import Notifier, SentNotification
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
from interlock.incidents.sources.health import HealthChecker, HealthTarget, health_targets
from interlock.incidents.sources.outbox import migration_alert, raise_alert, verification_alert
from interlock.incidents.sources.span_rules import RuleEngine, read_figures
from interlock.incidents.timeline_svg import TimeAxis, time_axis, timeline_svg
from interlock.incidents.watch import IncidentWatch

__all__ = [
    "DEFAULT_SERVICE_LABELS",
    "Alert",
    "AlertIn",
    "AlertPayloadError",
    "ChangeEvent",
    "HealthChecker",
    "HealthTarget",
    "Incident",
    "IncidentDesk",
    "IncidentNotFound",
    "IncidentPage",
    "IncidentReport",
    "IncidentSettings",
    "IncidentWatch",
    "IntakeResult",
    "Notifier",
    "NotifyRoute",
    "OriginCheck",
    "RankedChange",
    "RuleEngine",
    "RuleThresholds",
    "SentNotification",
    "ServiceMatch",
    "ServiceNames",
    "TimeAxis",
    "Transition",
    "TransitionRefused",
    "acknowledge_incident",
    "changes_between",
    "exposition",
    "health_targets",
    "incident_desk",
    "incident_map_svg",
    "incident_report",
    "list_incidents",
    "load_incident_settings",
    "migration_alert",
    "mount_incidents",
    "parse_alertmanager",
    "parse_grafana",
    "parse_plain",
    "postmortem_markdown",
    "probable_origin",
    "problem",
    "raise_alert",
    "read_figures",
    "recent_changes",
    "record_change",
    "resolve_incident",
    "time_axis",
    "timeline_svg",
    "verification_alert",
]
