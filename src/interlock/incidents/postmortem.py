"""A postmortem skeleton in Markdown from one incident: summary, timeline, evidence, links;
the sections a person fills in are left as headings with prompts."""

from __future__ import annotations

from interlock.incidents.model import rfc3339
from interlock.incidents.reports import IncidentReport


def postmortem_markdown(report: IncidentReport, base_url: str = "") -> str:
    """The Markdown; links are absolute when `base_url` (the dashboard's address) is given."""
    incident = report.incident
    root = base_url.rstrip("/")
    services = [name for name in incident.services if "=" not in name]
    lines = [
        f"# Postmortem: incident {incident.id} — {incident.title}",
        "",
        f"- Dashboard: {root}/incidents/{incident.id}",
        f"- Severity: {incident.severity}; state: {incident.state}",
        f"- Started: {rfc3339(incident.started_at)}; resolved: {rfc3339(incident.resolved_at) or 'not yet'}",
        f"- Services: {', '.join(f'[{s}]({root}/services/{s})' for s in services) or 'none mapped'}",
        f"- Probable origin: {incident.origin or 'unknown'} "
        f"(window RCA: {report.origin_check.verdict}"
        + (
            f", ranks {report.origin_check.rca_first} first"
            if report.origin_check.rca_first
            else ""
        )
        + ")",
        "- Owners: "
        + (
            ", ".join(f"{s}: {', '.join(t) or 'no team'}" for s, t in report.owners.items())
            or "none"
        ),
        "",
        "## Summary",
        "",
        "_What happened, in two sentences._",
        "",
        "## Timeline (UTC)",
        "",
    ]
    events: list[tuple[str, str]] = []
    for alert in report.alerts:
        where = alert.service or f"{alert.service_label}={alert.unmapped} (unmapped)"
        events.append(
            (
                rfc3339(alert.starts_at) or "",
                f"alert **{alert.name}** fired on {where} — {alert.join_reason}",
            )
        )
        if alert.ends_at:
            events.append((rfc3339(alert.ends_at) or "", f"alert {alert.name} on {where} resolved"))
    for ranked in report.changes:
        change = ranked.change
        events.append(
            (
                rfc3339(change.occurred_at) or "",
                f"{change.kind} of {change.service} {change.version or ''} {change.summary}".rstrip(),
            )
        )
    for step in report.transitions:
        note = f": {step.note}" if step.note else ""
        events.append(
            (
                rfc3339(step.at) or "",
                f"incident {step.from_state or 'created'} → {step.to_state} by {step.actor}{note}",
            )
        )
    lines += [f"- {at} — {text}" for at, text in sorted(events)]
    lines += ["", "## Evidence", ""]
    if report.changes:
        lines.append("Changes shortly before, nearest first:")
        lines += [
            f"- {r.change.kind} {r.change.service} {r.change.version or ''} "
            f"({r.before_start_s:.0f} s before the first alert, {r.distance} hop(s) from the origin)"
            for r in report.changes[:10]
        ]
    if report.failing_traces:
        lines.append("")
        lines.append("Failing traces:")
        lines += [f"- [{t}]({root}/traces/{t})" for t in report.failing_traces[:10]]
    lines += [
        "",
        "## Impact",
        "",
        "_Who noticed, for how long, what they could not do._",
        "",
        "## Root cause",
        "",
        "_Why it happened._",
        "",
        "## Action items",
        "",
        "- [ ] ",
        "",
    ]
    return "\n".join(lines)
