"""`interlock telemetry init-store`: create or upgrade a ClickHouse span store's schema.

Thin: parses the flags, calls `init_store`, prints what it did.
"""

from __future__ import annotations

from dataclasses import replace

import typer
from rich.markup import escape

from interlock.cli.output import EXIT_CODES, Format, console, print_json
from interlock.errors import UserInputError

telemetry_app = typer.Typer(
    help="The span store behind traces, logs and metrics.\n\n" + EXIT_CODES,
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(telemetry_app, name="telemetry")


@telemetry_app.command(name="init-store")
def init_store_command(
    span_store: str = typer.Option(
        None,
        "--span-store",
        envvar="INTERLOCK_SPAN_STORE",
        help="clickhouse://user:password@host:8123/otel or chdb:///dir?database=otel.",
    ),
    cluster: str = typer.Option(
        None, "--cluster", help="Create ON CLUSTER this cluster, with Replicated* tables."
    ),
    distributed: bool = typer.Option(
        None,
        "--distributed/--not-distributed",
        help="<table>_local on every shard and a Distributed <table> over them (with --cluster).",
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Create the OpenTelemetry Collector exporter's tables and Interlock's aggregate views.

    Safe to run again: what exists is kept, what is missing is made, an older schema is upgraded (tables the exporter made itself get their arrival column). Retention comes from INTERLOCK_TELEMETRY_RETENTION_HOURS and INTERLOCK_TELEMETRY_AGGREGATE_RETENTION_DAYS.

    Exit codes: 0 done, 2 usage error (no or a bad --span-store, ClickHouse out of reach).
    """
    from interlock.settings import load_settings
    from interlock.telemetry import TelemetrySettings
    from interlock.telemetry.stores.clickhouse_init import init_store

    url = load_settings(span_store=span_store).span_store
    if not url:
        raise UserInputError(
            "--span-store: expected a ClickHouse URL (clickhouse://host:8123/otel or chdb:///dir)"
        )
    settings = TelemetrySettings().with_environment()
    if cluster is not None:
        settings = replace(settings, clickhouse_cluster=cluster, clickhouse_replicated=True)
    if distributed is not None:
        settings = replace(settings, clickhouse_distributed=distributed)
    report = init_store(url, settings)
    if format is Format.json:
        print_json(report.to_json())
        return
    before = f"version {report.previous_version}" if report.previous_version else "nothing"
    console.print(
        f"{escape(report.store)}: schema version {report.version} in database "
        f"{escape(report.database)} (was {before}; {report.statements} statements)"
    )
    for table in report.upgraded_tables:
        console.print(f"  {escape(table)}: arrival column added; rows there count from now")
