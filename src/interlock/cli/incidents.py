"""`interlock incidents` (list, show, ack, resolve) and `interlock change record`.

Thin: each command reads the settings, calls one function of `interlock.incidents` on
Interlock's own database, and renders the result (Rich text, or `--format json`).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli.options import data_dir_option, database_url_option, interlock_database
from interlock.cli.output import EXIT_CODES, Format, console, print_json
from interlock.incidents import (
    Incident,
    IncidentDesk,
    IncidentReport,
    IncidentSettings,
    record_change,
)
from interlock.store import CHANGE_KINDS, open_database
from interlock.telemetry import SpanStore

incidents_app = typer.Typer(
    help="Incidents: alerts grouped on the service map.\n\n" + EXIT_CODES, no_args_is_help=True
)
change_app = typer.Typer(
    help="Change events: deploys, config, migrations, flags.\n\n" + EXIT_CODES,
    no_args_is_help=True,
)

DATA_DIR = data_dir_option()
DATABASE_URL = database_url_option()
FORMAT = typer.Option(Format.text, "--format", "-f", help="text or json.")


def register(root: typer.Typer) -> None:
    root.add_typer(incidents_app, name="incidents")
    root.add_typer(change_app, name="change")


@contextmanager
def _desk(
    data_dir: Path | None,
    database_url: str | None,
    catalog: Path | None = None,
    spans: bool = False,
) -> Iterator[IncidentDesk]:
    from interlock.catalog import CatalogGraph, load_catalog
    from interlock.settings import load_settings

    settings = load_settings(data_dir=data_dir, database_url=database_url, catalog_dir=catalog)
    with open_database(settings.database_url) as engine:
        store = _span_store(settings.data_dir) if spans else None
        try:
            graph = load_catalog(settings.catalog_dir).graph if catalog else CatalogGraph()
            yield IncidentDesk(engine, graph, store, IncidentSettings.from_environment())
        finally:
            if store is not None:
                store.close()


def _span_store(data_dir: Path) -> SpanStore | None:
    """The span store the server writes in `data_dir` (for curves and the RCA check), or
    None when there is none yet."""
    from interlock.telemetry import TelemetrySettings, open_span_store

    telemetry = TelemetrySettings(data_dir=data_dir).with_environment()
    if not telemetry.database_url and not telemetry.spans_path.exists():
        return None
    return open_span_store(telemetry)


@incidents_app.command("list")
def list_command(
    all_states: bool = typer.Option(False, "--all", help="Also pending and suppressed ones."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """List incidents: open first, then acknowledged, then resolved.

    Exit codes: 0 listed (also when there is none), 2 bad input or an unusable database.
    """
    with _desk(data_dir, database_url) as desk:
        states = (
            ("open", "acknowledged", "pending", "resolved", "suppressed") if all_states else None
        )
        found = desk.incidents(states)
    now = datetime.now(UTC)
    if format == Format.json:
        print_json([i.to_json(now) for i in found])
        return
    if not found:
        console.print("No incident.")
        return
    console.print(_table(found, now))


def _table(found: list[Incident], now: datetime) -> Table:
    table = Table(
        "#", "state", "severity", "title", "services", "start (UTC)", "duration", "alerts", "origin"
    )
    for i in found:
        table.add_row(
            str(i.id),
            i.state,
            i.severity,
            escape(i.title),
            escape(", ".join(sorted(i.services))),
            f"{i.started_at:%Y-%m-%d %H:%M:%S}",
            f"{i.duration_s(now):.0f} s",
            f"{i.alert_count} ({i.firing_count} firing)",
            escape(i.origin or "unknown"),
        )
    return table


@incidents_app.command("show")
def show_command(
    incident_id: int = typer.Argument(..., help="The incident's number."),
    catalog: Path | None = typer.Option(
        None, "--catalog", envvar="INTERLOCK_CATALOG_DIR", help="Catalog directory, for owners."
    ),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Show one incident: its alerts and why each joined, the changes before it, its history.

    Exit codes: 0 shown, 2 an unknown incident, bad input or an unusable database.
    """
    with _desk(data_dir, database_url, catalog, spans=True) as desk:
        report = desk.report(incident_id)
    if format == Format.json:
        print_json(report.to_json())
        return
    _render(report)


def _render(report: IncidentReport) -> None:
    i = report.incident
    console.print(f"[bold]Incident {i.id}[/]: {escape(i.title)}")
    console.print(
        f"state {i.state}, severity {i.severity}, started {i.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    console.print(
        f"probable origin: [bold]{escape(i.origin or 'unknown')}[/] (window RCA: {report.origin_check.verdict})"
    )
    for rank, suspect in enumerate(report.origin_check.ranking, 1):
        traces = ", ".join(suspect.get("example_trace_ids", [])[:2])
        console.print(
            f"  RCA #{rank} {escape(suspect['service'])} (score {suspect['score']:.3f})"
            + (f" — traces {traces}" if traces else "")
        )
    alerts = Table("alert", "service", "status", "since (UTC)", "why it is here")
    for a in report.alerts:
        where = a.service or f"{a.service_label}={a.unmapped} (unmapped)"
        alerts.add_row(
            escape(a.name),
            escape(where),
            a.status,
            f"{a.starts_at:%H:%M:%S}",
            escape(a.join_reason),
        )
    console.print(alerts)
    if report.changes:
        changes = Table("when (UTC)", "kind", "service", "version", "hops")
        for r in report.changes:
            changes.add_row(
                f"{r.change.occurred_at:%Y-%m-%d %H:%M:%S}",
                r.change.kind,
                escape(r.change.service),
                escape(r.change.version or ""),
                str(r.distance),
            )
        console.print(changes)
    for t in report.transitions:
        note = f" — {escape(t.note)}" if t.note else ""
        console.print(
            f"{t.at:%Y-%m-%d %H:%M:%S} {t.from_state or 'created'} → {t.to_state} by {escape(t.actor)}{note}"
        )


@incidents_app.command("ack")
def ack_command(
    incident_id: int = typer.Argument(..., help="The incident's number."),
    note: str = typer.Option("", "--note", help="A few words for the history."),
    actor: str = typer.Option(None, "--as", help="Who acknowledges (default: your user name)."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Acknowledge an incident: someone is on it.

    Exit codes: 0 acknowledged, 2 an unknown incident, one that cannot be acknowledged, or bad input.
    """
    with _desk(data_dir, database_url) as desk:
        incident = desk.acknowledge(incident_id, actor or getpass.getuser(), note)
    _done(incident, format)


@incidents_app.command("resolve")
def resolve_command(
    incident_id: int = typer.Argument(..., help="The incident's number."),
    note: str = typer.Option(..., "--note", help="Why it is resolved (required)."),
    actor: str = typer.Option(None, "--as", help="Who resolves (default: your user name)."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Resolve an incident by hand, with a note.

    Exit codes: 0 resolved, 2 an unknown incident, one already resolved, or bad input.
    """
    with _desk(data_dir, database_url) as desk:
        incident = desk.resolve(incident_id, actor or getpass.getuser(), note)
    _done(incident, format)


def _done(incident: Incident, format: Format) -> None:
    if format == Format.json:
        print_json(incident.to_json())
    else:
        console.print(f"incident {incident.id} is now {incident.state}")


@change_app.command("record")
def record_command(
    service: str = typer.Option(..., "--service", "-s", help="The service that changed."),
    kind: str = typer.Option(..., "--kind", help=f"One of {', '.join(CHANGE_KINDS)}."),
    version: str = typer.Option(None, "--version", help="The version now running."),
    environment: str = typer.Option(
        None, "--environment", "-e", help="Where: production, staging…"
    ),
    summary: str = typer.Option("", "--summary", help="What changed, in a sentence."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Record a change event (now), so incidents can show what changed just before.

    Exit codes: 0 recorded, 2 bad input (an unknown kind, no service) or an unusable database.
    """
    with interlock_database(data_dir, database_url) as engine:
        change = record_change(
            engine,
            service=service,
            kind=kind,
            version=version,
            environment=environment,
            summary=summary,
        )
    if format == Format.json:
        print_json(change.to_json())
    else:
        console.print(
            f"recorded {change.kind} of {escape(change.service)} {escape(change.version or '')} at {change.occurred_at:%Y-%m-%d %H:%M:%S} UTC (#{change.id})"
        )
