"""`interlock collector`, `interlock traces search|show`, `interlock logs check`.

Thin: each command parses its flags, calls one function of `interlock.telemetry` or
`interlock.logging`, and renders the result (Rich for people, `--format json` for machines).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from interlock.cli.options import port_option
from interlock.cli.output import EXIT_CODES, Format, console, print_json
from interlock.errors import UserInputError
from interlock.ports import check_can_listen

if TYPE_CHECKING:
    from interlock.logging import LogCheckReport
    from interlock.telemetry import Span, TraceView

# The capability packages are imported inside each command: they pull in FastAPI, uvicorn and
# OpenTelemetry, which every other `interlock` command would otherwise pay for at start-up.

traces_app = typer.Typer(
    help="Stored traces: search them and show one (data from `interlock collector` or `server`)."
    "\n\n" + EXIT_CODES,
    no_args_is_help=True,
)

logs_app = typer.Typer(
    help="Service log lines and the logging standard.\n\n" + EXIT_CODES, no_args_is_help=True
)

DATA_DIR = typer.Option(
    Path(".interlock"),
    "--data-dir",
    envvar="INTERLOCK_DATA_DIR",
    help="Where Interlock keeps its data.",
)
DATABASE_URL = typer.Option(
    "",
    "--span-store",
    "--database-url",
    envvar=["INTERLOCK_SPAN_STORE", "INTERLOCK_TELEMETRY_DATABASE_URL"],
    help="The span store instead of DATA_DIR/spans.db: postgresql://... (a team server), "
    "clickhouse://host:8123/db or chdb:///dir (ClickHouse; run `interlock telemetry init-store` first).",
)
FORMAT = typer.Option(Format.text, "--format", "-f", help="text or json.")


def register(root: typer.Typer) -> None:
    root.command(name="collector")(collector_command)
    root.add_typer(traces_app, name="traces")
    root.add_typer(logs_app, name="logs")


def collector_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind (127.0.0.1 unless told)."
    ),
    port: int = port_option(
        4318, "--port", help="Port to listen on (4318 is the OTLP/HTTP default)."
    ),
    data_dir: Path = DATA_DIR,
    database_url: str = DATABASE_URL,
    sample_rate: float = typer.Option(
        None,
        "--sample-rate",
        help="Share (0..1) of ordinary traces stored; errors and slow ones always are.",
    ),
    slow_ms: float = typer.Option(
        None, "--slow-ms", help="Traces with a span at least this slow are always stored."
    ),
    format: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text or json: at start, one object with the OTLP URLs and the store.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        help="Intake processes sharing the port, each writing directly (needs a "
        "postgresql:// or clickhouse:// --span-store).",
    ),
) -> None:
    """Receive OTLP/HTTP traces and logs (POST /v1/traces, /v1/logs) into DATA_DIR/spans.db.

    Protobuf or JSON, plain or gzip. Runs until interrupted; the write queue is flushed on the way out. Settings also come from INTERLOCK_TELEMETRY_* variables (e.g. INTERLOCK_TELEMETRY_MAX_BODY_BYTES, INTERLOCK_TELEMETRY_QUEUE_MAX_ITEMS).

    Exit codes: 0 stopped cleanly, 2 usage error (for example a bad flag or variable, or a port in use).
    """
    from interlock.telemetry import TelemetrySettings, run_collector
    from interlock.telemetry.intake.collector import check_workers

    settings = replace(
        TelemetrySettings(data_dir=data_dir).with_environment(), database_url=database_url
    )
    if sample_rate is not None:
        if not 0.0 <= sample_rate <= 1.0:
            raise UserInputError(f"--sample-rate {sample_rate}: expected a number from 0 to 1")
        settings = replace(settings, sample_rate=sample_rate)
    if slow_ms is not None:
        settings = replace(settings, slow_ms=slow_ms)
    check_workers(settings, workers)
    check_can_listen(host, port)
    base = f"http://{host}:{port}"
    if format is Format.json:
        store = (
            settings.database_url.partition(":")[0]
            if settings.database_url
            else str(settings.spans_path)
        )
        print_json({"traces": f"{base}/v1/traces", "logs": f"{base}/v1/logs", "store": store})
    else:
        where = (
            f"{settings.database_url.partition(':')[0]} (--span-store)"
            if settings.database_url
            else str(settings.spans_path)
        )
        console.print(f"OTLP/HTTP collector on {base}/v1/traces and /v1/logs, storing in {where}")
    sys.stdout.flush()  # whoever reads the URLs through a pipe needs them now
    run_collector(settings, host, port, workers)


@traces_app.command(name="search")
def search_command(
    service: str = typer.Option(
        None, "--service", "-s", help="Spans of this service (its service.name)."
    ),
    operation: str = typer.Option(None, "--operation", help="Spans with this name."),
    attribute: list[str] = typer.Option(
        [], "--attr", "-a", help="key=value (exact) or key~value (substring); repeatable."
    ),
    min_ms: float = typer.Option(None, "--min-ms", help="Span at least this long."),
    max_ms: float = typer.Option(None, "--max-ms", help="Span at most this long."),
    status: str = typer.Option(None, "--status", help="error, ok or unset."),
    since: str = typer.Option(
        None, "--since", help="Only spans that started this long ago or later: 15m, 2h, 1d."
    ),
    limit: int = typer.Option(20, "--limit", help="At most this many traces."),
    data_dir: Path = DATA_DIR,
    database_url: str = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Find traces with a span matching every given filter, newest first.

    Exit codes: 0 success (also when nothing matched), 2 usage error (a bad filter, no store).
    """
    from interlock.telemetry import (
        AttributeFilter,
        StatusCode,
        TraceQuery,
        search_traces,
        since_unix_nano,
    )

    filters = []
    for text in attribute:
        try:
            filters.append(AttributeFilter.parse(text))
        except ValueError as error:
            raise UserInputError(f"--attr {error}") from None
    status_code = None
    if status is not None:
        try:
            status_code = StatusCode[status.upper()]
        except KeyError:
            raise UserInputError(f"--status {status!r}: expected error, ok or unset") from None
    query = TraceQuery(
        service=service,
        operation=operation,
        attributes=tuple(filters),
        min_duration_ms=min_ms,
        max_duration_ms=max_ms,
        status=status_code,
        start_unix_nano=since_unix_nano(since) if since else None,
        limit=limit,
    )
    found = search_traces(data_dir, query, database_url)
    if format is Format.json:
        print_json([{**asdict(t), "start": _rfc3339(t.start_unix_nano)} for t in found])
        return
    table = Table("trace id", "started (UTC)", "root", "ms", "spans", "errors", "services")
    table.columns[0].no_wrap = True  # ids are copied from here; never fold them
    for s in found:
        table.add_row(
            s.trace_id,
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s.start_unix_nano // 1_000_000_000)),
            escape(f"{s.root_service}: {s.root_name}"),
            f"{s.duration_ms:.1f}",
            str(s.span_count),
            f"[red]{s.error_count}[/]" if s.error_count else "0",
            escape(", ".join(s.services)),
        )
    console.print(table)
    console.print(f"{len(found)} trace(s)")


@traces_app.command(name="show")
def show_command(
    trace_id: str = typer.Argument(..., metavar="TRACE_ID", help="32 hex digits."),
    data_dir: Path = DATA_DIR,
    database_url: str = DATABASE_URL,
    format: Format = FORMAT,
) -> None:
    """Show one trace as a tree of spans (offset, duration, service, errors) with its logs.

    Exit codes: 0 found, 2 usage error (malformed or unknown trace id, no store).
    """
    from interlock.telemetry import show_trace

    view = show_trace(data_dir, trace_id, database_url)
    if format is Format.json:
        print_json(view.to_json())
        return
    console.print(_tree(view))
    for record in view.logs:
        console.print(
            f"  [dim]log[/] {escape(record.severity_text or str(record.severity_number))} {escape(str(record.body))}"
        )


def _rfc3339(unix_nano: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix_nano // 1_000_000_000)) + (
        f".{unix_nano // 1_000_000 % 1000:03d}Z"
    )


def _tree(view: TraceView) -> Tree:
    start = min((s.start_unix_nano for s in view.spans), default=0)
    children: dict[str | None, list[Span]] = {}
    ids = {s.span_id for s in view.spans}
    for span in view.spans:
        parent = span.parent_span_id if span.parent_span_id in ids else None
        children.setdefault(parent, []).append(span)
    root = Tree(f"trace {view.trace_id}")

    def add(node: Tree, parent: str | None) -> None:
        for span in children.get(parent, []):
            mark = " [bold red]ERROR[/]" if span.is_error else ""
            offset = (span.start_unix_nano - start) / 1e6
            label = f"+{offset:.1f}ms {span.duration_ms:.1f}ms [cyan]{escape(span.service)}[/] {escape(span.name)}{mark}"
            add(node.add(label), span.span_id)

    add(root, None)
    return root


@logs_app.command(name="check")
def logs_check_command(
    file: str = typer.Argument(
        ..., metavar="FILE|-", help="A file of log lines, or - for standard input."
    ),
    format: Format = FORMAT,
) -> None:
    """Check log lines against the logging standard (`interlock.logging.configure`).

    One JSON object per line; keys timestamp (RFC 3339 UTC), severity_text, severity_number, body, service.name; hex trace_id/span_id; one type per key across lines; no secret-looking keys.

    Exit codes: 0 every line follows the standard, 1 violations (each with its line number), 2 usage error (for example FILE does not exist).
    """
    from interlock.logging import check_log_file

    report = check_log_file(file)
    if format is Format.json:
        print_json(report.to_json())
    else:
        _print_log_report(report)
    raise typer.Exit(report.exit_code)


def _print_log_report(report: LogCheckReport) -> None:
    for violation in report.violations:
        console.print(f"{escape(report.source)}:{violation.line}: {escape(violation.message)}")
    verdict = (
        "[green]follows the standard[/]"
        if not report.violations
        else f"[red]{len(report.violations)} violation(s)[/]"
    )
    console.print(f"{report.lines} line(s) checked: {verdict}")
