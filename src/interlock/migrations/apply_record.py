"""Where an apply is remembered: a report on the dashboard's /migrations page, and a change
event (kind `migration`) that the incidents view lays beside the alerts that follow it."""

from __future__ import annotations

from pathlib import Path

from interlock.migrations.apply_model import ApplyReport
from interlock.migrations.saved_reports import SavedReport, save_report


def default_service(directory: Path) -> str:
    """The service a migration directory belongs to when not named: the folder holding it
    (`inventory/migrations` -> inventory), or the directory's own name at the top."""
    folder = directory.resolve()
    if folder.is_file():
        folder = folder.parent
    return folder.parent.name or folder.name


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names (`postgresql://u@h:5432/inventory` -> inventory)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def record_apply(
    report: ApplyReport,
    data_dir: Path,
    *,
    label: str,
    service: str,
    environment: str | None = None,
) -> SavedReport:
    """Save the report in `data_dir` and, when anything ran, record a change event and a
    `MigrationFailed` alert (firing when a migration failed or was undone, resolved when the
    run succeeded) in Interlock's database (the SQLite file under `data_dir`, or INTERLOCK_DATABASE_URL)."""
    saved = save_report(data_dir, "apply", label, {**report.to_json(), "service": service})
    ran = [m for m in report.migrations if m.statements]
    if not ran:
        return saved
    from interlock.incidents import migration_alert, raise_alert, record_change
    from interlock.settings import load_settings
    from interlock.store import open_database

    applied = [m.version for m in report.applied]
    undone = [m.version for m in ran if m.status != "applied"]
    with open_database(load_settings(data_dir=data_dir).database_url) as engine:
        record_change(
            engine,
            service=service,
            kind="migration",
            version=applied[-1] if applied else None,
            environment=environment,
            summary=report.summary(),
            attributes={
                "ok": report.ok,
                "report": saved.id,
                "target": report.target,
                "applied": applied,
                "undone": [m.version for m in ran if m.status == "rolled back"],
                "failed": [m.version for m in ran if m.status == "failed"],
            },
        )
        raise_alert(
            engine,
            migration_alert(
                service=service,
                database=database_name(report.target),
                migration=(undone or applied)[-1],
                success=report.ok,
                detail=report.summary(),
            ),
        )
    return saved
