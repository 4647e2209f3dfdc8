"""`migrate apply` for people: its progress line by line as it happens, and its plan."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from interlock.migrations.apply_model import Event
from interlock.migrations.apply_plan import ApplyPlan


def render_apply_event(event: Event, console: Console) -> None:
    """One line (or a few) for a progress event of `apply_migrations`."""
    kind = event["event"]
    if kind == "start":
        pending = ", ".join(event["pending"]) or "nothing"
        console.print(f"{escape(event['target'])}: pending {escape(pending)}")
    elif kind == "migration":
        how = "in a transaction" if event["in_transaction"] else "statement by statement"
        console.print(f"[bold]{escape(event['version'])}[/] {escape(event['name'])} ({how})")
    elif kind == "statement":
        _statement(event, console)
    elif kind == "retry":
        who = "; ".join(
            f"pid {b['pid']} holds {b['mode']} on {b['relation']} for "
            f"{b['transaction_age_ms'] / 1000:.1f}s ({b['state']}: {b['query']})"
            for b in event["blockers"]
        )
        console.print(
            f"  [yellow]↻[/] line {event['line']}: {event['reason']} (attempt {event['attempt']}),"
            f" retrying in {event['wait_ms'] / 1000:.2f}s" + (f": {escape(who)}" if who else "")
        )
    elif kind == "invalid_index_dropped":
        console.print(f"  [yellow]dropped invalid index {escape(', '.join(event['indexes']))}[/]")
    elif kind == "watch":
        console.print(
            f"  [dim]watching the error rate of {escape(', '.join(event['services']))}"
            f" for {event['seconds']:g}s[/]"
        )
    elif kind == "verification":
        mark = "[green]✓[/]" if event["ok"] else "[red]✗[/]"
        error = f": {escape(event['error'])}" if event["error"] else ""
        console.print(f"  {mark} {event['kind']} {escape(event['name'])}{error}")
    elif kind == "rollback":
        console.print(f"  [yellow]↩ {escape(event['rollback'] or '')}[/]")
    elif kind == "migration_done":
        _done(event, console)
    elif kind == "done":
        verdict = "[green]ok[/]" if event["ok"] else "[bold red]stopped[/]"
        console.print(
            f"apply {verdict}: {escape(event['summary'])} in {event['total_seconds']:.2f}s"
        )


def _statement(event: Event, console: Console) -> None:
    flat = event["sql"] if len(event["sql"]) <= 80 else event["sql"][:79] + "…"
    rows = f"  {event['rows']} rows" if event["rows"] is not None else ""
    locks = f"  {', '.join(event['locks'])}" if event["locks"] else ""
    where = f"{Path(event['file']).name}:{event['line']}"
    direction = " [magenta]down[/]" if event["direction"] == "down" else ""
    console.print(
        f"  {escape(where)}{direction}  {event['duration_ms']:.1f} ms{rows}{escape(locks)}"
        f"  [dim]{escape(flat)}[/]"
    )
    if event["error"]:
        console.print(f"    [red]{escape(event['error'])}[/]")


def _done(event: Event, console: Console) -> None:
    status = event["status"]
    colour = "green" if status == "applied" else "red"
    error = f": {escape(event['error'])}" if event["error"] else ""
    console.print(f"  [{colour}]{status}[/] in {event['duration_ms']:.0f} ms{error}")


def render_plan(plan: ApplyPlan, console: Console) -> None:
    """What `apply` would run; nothing is changed."""
    pending = ", ".join(m.version for m in plan.migrations) or "nothing"
    console.print(f"{escape(plan.target)}: pending {escape(pending)} (plan only: nothing is run)")
    for migration in plan.migrations:
        how = "in a transaction" if migration.in_transaction else "statement by statement"
        down = "" if migration.has_down else ", no down migration"
        console.print(
            f"[bold]{escape(migration.version)}[/] {escape(migration.name)} ({how}{down})"
        )
        for statement in migration.statements:
            flat = statement.sql if len(statement.sql) <= 80 else statement.sql[:79] + "…"
            locks = f"  {', '.join(statement.locks)}" if statement.locks else ""
            console.print(f"  {statement.line}:  [dim]{escape(flat)}[/]{escape(locks)}")
            for finding in statement.findings:
                colour = "red" if finding.severity == "error" else "yellow"
                console.print(
                    f"    [{colour}]{finding.severity}[/] {finding.rule}: {escape(finding.message)}"
                )
    findings = plan.findings
    errors = sum(1 for f in findings if f.severity == "error")
    console.print(f"{errors} error(s), {len(findings) - errors} warning(s)")
