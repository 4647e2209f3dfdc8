"""`interlock migrate apply`: the pending migrations run on a real database, with guard rails
and automatic rollback. Registered on `migrate` by `cli/migrate.py`.

Imports that need drivers happen inside the command, so that `migrate lint` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from interlock.cli.options import writable_directory
from interlock.cli.output import Format, console, print_json
from interlock.errors import UserInputError


def apply_command(
    path: Path = typer.Argument(..., help="The migration directory (layout detected)."),
    database_url: str = typer.Option(
        ..., "--database-url", help="The database to migrate, postgresql://user@host:5432/name."
    ),
    from_version: str | None = typer.Option(
        None,
        "--from",
        help="Migrations after this version are pending (default: the history table).",
    ),
    plan: bool = typer.Option(
        False, "--plan", help="Print what would run, its lint findings and locks; change nothing."
    ),
    lock_timeout_ms: int = typer.Option(
        2000, "--lock-timeout-ms", min=1, help="lock_timeout of every statement."
    ),
    statement_timeout_ms: int = typer.Option(
        300_000, "--statement-timeout-ms", min=1, help="statement_timeout of every statement."
    ),
    retries: int = typer.Option(
        5, "--retries", min=0, help="Retries when a lock is not granted (exponential backoff)."
    ),
    backoff_ms: float = typer.Option(
        500.0,
        "--backoff-ms",
        min=1.0,
        help="The first retry's wait; doubled each time, with jitter.",
    ),
    long_transaction_ms: float = typer.Option(
        1000.0,
        "--long-transaction-ms",
        min=0.0,
        help="A transaction open longer than this that holds a conflicting lock is waited out.",
    ),
    contracts: list[Path] = typer.Option(
        [],
        "--contracts",
        help="Database contract files or directories, PREPAREd after each migration.",
    ),
    health_urls: list[str] = typer.Option(
        [], "--health-url", help="A service URL that must answer 2xx after each migration."
    ),
    watch_seconds: float = typer.Option(
        0.0,
        "--watch-seconds",
        min=0.0,
        help="After each migration, watch the consumers' error rate in the span store this long;"
        " a rise over their baseline undoes the migration (0: no watch).",
    ),
    watch_services: list[str] = typer.Option(
        [],
        "--watch-service",
        help="A service to watch besides the consumers of --contracts (its telemetry name).",
    ),
    span_store: str = typer.Option(
        "",
        "--span-store",
        help="The span store to read error rates from (postgresql:// or clickhouse://);"
        " default: the SQLite store of --data-dir.",
    ),
    data_dir: Path = typer.Option(
        Path(".interlock"), "--data-dir", help="Interlock data directory whose span store to read."
    ),
    error_rate_margin: float = typer.Option(
        0.05,
        "--error-rate-margin",
        min=0.0,
        max=1.0,
        help="How far the error rate may rise over the baseline (0.05: five points).",
    ),
    rollback: bool = typer.Option(
        True, "--rollback/--no-rollback", help="Undo a migration that fails or fails verification."
    ),
    format: Format = typer.Option(
        Format.text, "--format", "-f", help="text, or json (JSON lines)."
    ),
    save_to: Path | None = typer.Option(
        None,
        "--save",
        help="Keep the report in this data directory (/migrations) and record a change event.",
        callback=writable_directory,
    ),
    service: str | None = typer.Option(
        None,
        "--service",
        "-s",
        help="The service the change event names (default: the folder above PATH).",
    ),
    environment: str | None = typer.Option(
        None, "--environment", "-e", help="The environment the change event names."
    ),
) -> None:
    """Apply pending migrations with guard rails, verify them, and undo one that fails.

    Every statement runs under lock_timeout and statement_timeout; one that would queue
    behind a long transaction, or whose lock is not granted, is retried with backoff. A
    migration is recorded in its tool's history table. When it fails, or a contract query
    or health URL fails after it, its transaction is rolled back or its down migration run.

    Exit codes: 0 everything pending applied, 1 a migration failed or was undone, 2 bad input.
    """
    from interlock import migrations
    from interlock.migrations.apply import apply_migrations
    from interlock.migrations.apply_model import ApplyOptions, Event
    from interlock.migrations.apply_record import default_service, record_apply
    from interlock.migrations.apply_render import render_apply_event, render_plan

    found = migrations.read_migrations(path)
    if plan:
        settings = migrations.load_lint_settings(migrations.find_lint_config(Path.cwd()))
        from interlock.migrations.apply_plan import plan_apply

        planned = plan_apply(database_url, found, settings, from_version)
        if format is Format.json:
            print_json(planned.to_json())
        else:
            render_plan(planned, console)
        raise typer.Exit(0)
    from interlock.contracts import load_contract_queries
    from interlock.migrations.apply_watch import ErrorRateWatch, watched_services

    queries = tuple(load_contract_queries(contracts))
    watch = None
    if watch_seconds > 0:
        services = watched_services([q.consumer for q in queries], watch_services)
        if not services:
            raise UserInputError(
                "--watch-seconds: no service to watch; give --contracts or --watch-service"
            )
        watch = ErrorRateWatch(
            watch_seconds, services, data_dir, span_store, margin=error_rate_margin
        )
        from interlock.telemetry import open_store

        with open_store(data_dir, span_store):
            pass  # a missing span store is an input error before anything is applied
    options = ApplyOptions(
        lock_timeout_ms=lock_timeout_ms,
        statement_timeout_ms=statement_timeout_ms,
        retries=retries,
        backoff_ms=backoff_ms,
        long_transaction_ms=long_transaction_ms,
        rollback=rollback,
        contracts=queries,
        health_urls=tuple(health_urls),
        from_version=from_version,
        watch=watch,
    )

    def show(event: Event) -> None:
        if format is Format.json:
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
        else:
            render_apply_event(event, console)

    report = apply_migrations(database_url, found, options, show)
    if save_to is not None:
        record_apply(
            report,
            save_to,
            label=str(path),
            service=service or default_service(path),
            environment=environment,
        )
    raise typer.Exit(0 if report.ok else 1)


def register_apply(app: typer.Typer) -> None:
    app.command("apply")(apply_command)
