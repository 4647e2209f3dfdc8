"""`interlock rca`: the probable root cause of one trace, or of a window of traces.

Thin: parses the flags, calls `diagnose_trace` or `diagnose_window`, renders the ranking.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli.output import Format, console, print_json
from interlock.errors import UserInputError
from interlock.telemetry import (
    OPERATION_HELP,
    SCORE_HELP,
    TraceDiagnosis,
    WindowDiagnosis,
    diagnose_trace,
    diagnose_window,
    format_time,
    no_baseline_advice,
    parse_duration_s,
    parse_time_unix_nano,
    suspect_rows,
)

_NS = 1_000_000_000


def register(root: typer.Typer) -> None:
    root.command(name="rca")(rca_command)


def rca_command(
    trace: str = typer.Option(None, "--trace", help="Diagnose this one trace (32 hex digits)."),
    since: str = typer.Option(
        None, "--since", help="Diagnose the window from this long ago to now: 15m, 2h, 1d."
    ),
    start: str = typer.Option(None, "--start", help="Window start, RFC 3339 (with --end)."),
    end: str = typer.Option(None, "--end", help="Window end, RFC 3339 (with --start)."),
    service: str = typer.Option(
        None, "--service", "-s", help="Only traces that pass through this service."
    ),
    baseline_start: str = typer.Option(
        None,
        "--baseline-start",
        help="Healthy baseline start, RFC 3339 (default: the same length just before the "
        "window; for --trace, the hour before the trace).",
    ),
    baseline_end: str = typer.Option(None, "--baseline-end", help="Healthy baseline end."),
    limit: int = typer.Option(10, "--limit", help="Show at most this many suspects."),
    data_dir: Path = typer.Option(
        Path(".interlock"),
        "--data-dir",
        envvar="INTERLOCK_DATA_DIR",
        help="Where Interlock keeps its data.",
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Rank the probable root cause of failed or slow traces.

    With --trace: the failing span that no failing child explains, and the critical path ranked by self time against each operation's usual self time. With --since or --start/--end: services, databases or third parties and call edges ranked together, each operation's self time, each call's gap before the callee's handler, calls, errors, log templates and resource metrics judged against their own baseline; each suspect with the reasons for its score.

    Exit codes: 0 nothing looks wrong (no failed trace in the window, or the trace is healthy), 1 findings (something failed and suspects are ranked), 2 usage or input error (bad time, unknown trace id, no span store).
    """
    chosen = [name for name, value in (("--trace", trace), ("--since", since)) if value]
    if start or end:
        chosen.append("--start/--end")
    if len(chosen) != 1:
        raise UserInputError("give exactly one of --trace ID, --since DURATION, --start T --end T")
    baseline: tuple[int | None, int | None] = (None, None)
    if baseline_start or baseline_end:
        if not (baseline_start and baseline_end):
            raise UserInputError("--baseline-start and --baseline-end go together")
        baseline = (
            parse_time_unix_nano(baseline_start, "--baseline-start"),
            parse_time_unix_nano(baseline_end, "--baseline-end"),
        )
    if trace:
        if service:
            raise UserInputError("--service applies to a window, not to --trace")
        diagnosis = diagnose_trace(data_dir, trace, *baseline)
        if format is Format.json:
            print_json(diagnosis.to_json())
        else:
            _print_trace(diagnosis, limit)
        raise typer.Exit(1 if diagnosis.failed else 0)
    if since:
        window_end = time.time_ns()
        window_start = window_end - int(parse_duration_s(since) * _NS)
    else:
        if not (start and end):
            raise UserInputError("--start and --end go together")
        window_start = parse_time_unix_nano(start, "--start")
        window_end = parse_time_unix_nano(end, "--end")
    window = diagnose_window(data_dir, window_start, window_end, *baseline, service)
    if format is Format.json:
        print_json(window.to_json())
    else:
        _print_window(window, limit)
    raise typer.Exit(1 if window.found or window.failed_traces else 0)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_window(d: WindowDiagnosis, limit: int) -> None:
    share = f"a {d.share:.0%} share by trace id, " if d.share < 1 else ""
    console.print(
        f"window {format_time(d.start_unix_nano)} .. {format_time(d.end_unix_nano)}: "
        f"{d.traces} trace(s) read ({share}every failing one), {d.failed_traces} failed "
        f"({d.error_traces} with errors, {d.slow_traces} slow); baseline "
        f"{format_time(d.baseline_start_unix_nano)} .. {format_time(d.baseline_end_unix_nano)}: "
        f"{d.baseline_traces} trace(s)"
    )
    advice = no_baseline_advice(d)
    if advice:
        console.print(f"[yellow]{escape(advice)}[/]")
    if not d.found and not d.failed_traces:
        console.print("[green]nothing looks wrong[/]: no trace failed or was slow")
        return
    ranking = Table("#", "suspect", "kind", "score", "why", "example trace")
    for row in suspect_rows(d)[:limit]:
        name = escape(row.name)
        ranking.add_row(
            str(row.rank),
            f"[bold]{name}[/]" if row.rank == 1 else name,
            row.kind_label,
            f"{row.score:.2f}",
            escape("\n".join(row.reasons[:2])),
            row.example_trace_id or "",
        )
    console.print(ranking)
    console.print(f"[dim]{escape(SCORE_HELP)}[/]")
    table = Table(
        "#",
        "service",
        "operation",
        "score",
        "window share",
        "own share",
        "failed/spans",
        "error spans",
        "self p95 ms (usual)",
        "example trace",
    )
    operations = [s for s in d.suspects if s.score > 0]
    for rank, s in enumerate(operations[:limit], 1):
        usual = s.baseline.p95_self_ms if s.baseline else None
        ratio = s.latency_ratio
        latency = f"{_ms(s.self_p95_ms)} ({_ms(usual)})"
        if ratio is not None and ratio >= 1.5:
            latency = f"[red]{latency} x{ratio:.1f}[/]"
        table.add_row(
            str(rank),
            escape(s.service),
            escape(s.operation),
            f"{s.score:.2f}",
            f"{s.window_share:.0%}",
            f"{s.own_share:.0%}",
            f"{s.failed_traces}/{s.traces}",
            f"[red]{s.error_spans}[/]" if s.error_spans else "0",
            latency,
            s.example_trace_ids[0] if s.example_trace_ids else "",
        )
    if operations:
        console.print(table)
        console.print(f"[dim]{escape(OPERATION_HELP)}[/]")


def _print_trace(d: TraceDiagnosis, limit: int) -> None:
    verdict = "[green]healthy[/]"
    if d.failed:
        reasons = (["errors"] if d.root_causes else []) + (["slow"] if d.slow else [])
        verdict = f"[red]failed[/] ({', '.join(reasons)})"
    console.print(
        f"trace {d.trace_id}: {escape(d.root.service)} {escape(d.root.name)}, "
        f"{d.duration_ms:.1f} ms, {verdict}"
    )
    culprit = d.culprit
    if culprit is not None:
        console.print(
            f"probable root cause: [bold]{escape(culprit.service)}[/] {escape(culprit.name)} "
            f"(span {culprit.span_id})"
        )
    if d.root_causes:
        causes = Table("span", "service", "operation", "depth", "reached the root", "message")
        for cause in d.root_causes[:limit]:
            causes.add_row(
                cause.span.span_id,
                escape(cause.span.service),
                escape(cause.span.name),
                str(cause.depth),
                "yes" if cause.propagated else "no (absorbed)",
                escape(cause.span.status_message),
            )
        console.print(causes)
    path = Table(
        "span", "service", "operation", "self ms", "usual median/p95 ms", "excess ms", "ratio"
    )
    for p in d.critical_path[:limit]:
        usual = (
            f"{_ms(p.baseline.median_self_ms)}/{_ms(p.baseline.p95_self_ms)}" if p.baseline else "-"
        )
        ratio = p.ratio
        path.add_row(
            p.span.span_id,
            escape(p.span.service),
            escape(p.span.name),
            _ms(p.self_ms),
            usual,
            _ms(p.excess_ms),
            "-" if ratio is None else f"{ratio:.1f}",
        )
    console.print("critical path, by self time above usual:")
    console.print(path)
