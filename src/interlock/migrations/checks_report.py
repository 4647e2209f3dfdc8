"""People-facing renderings of the migration reports: Rich text, and HTML for the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from interlock.migrations.dryrun import DryRunReport
from interlock.migrations.impact import MigrationImpact

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_dry_run_text(report: DryRunReport, console: Console) -> None:
    copy = report.copy
    if copy is not None:
        console.print(
            f"copy: {copy.method} in {copy.seconds:.2f}s"
            + (f", {copy.rows_copied} rows" if copy.rows_copied is not None else "")
        )
    console.print(f"pending: {', '.join(report.pending) or 'nothing'}")
    table = Table(title="statements", show_lines=False)
    for column in ("file:line", "statement", "ms", "locks", "rewrote", "rows read"):
        table.add_column(column, overflow="fold")
    risky = {(id(run), lock.relation, lock.mode) for run, lock in report.risky_locks}
    for run in report.statements:
        locks = "\n".join(
            ("[bold red]" if (id(run), lock.relation, lock.mode) in risky else "")
            + f"{lock.mode} {escape(lock.relation)} {lock.held_ms:.0f}ms"
            + ("" if lock.guarded else " (no lock_timeout)")
            + ("[/]" if (id(run), lock.relation, lock.mode) in risky else "")
            for lock in run.locks
        )
        table.add_row(
            f"{Path(run.file).name}:{run.line}",
            escape(_short(run.sql)) + (f"\n[red]{escape(run.error)}[/]" if run.error else ""),
            f"{run.duration_ms:.1f}",
            locks,
            escape(", ".join(run.rewritten)),
            escape(", ".join(f"{k} {v}" for k, v in run.rows_scanned.items())),
        )
    console.print(table)
    for check in report.contracts:
        mark = "[green]ok[/]" if check.error is None else f"[red]broken[/]: {escape(check.error)}"
        console.print(f"contract {escape(check.query.consumer)}/{escape(check.query.name)}: {mark}")
    if report.rollback_checked:
        if report.rollback:
            console.print(
                "[red]rollback check failed[/]: the schema after down differs from before:"
            )
            for difference in report.rollback:
                console.print(f"  - {escape(str(difference))}")
        else:
            console.print("[green]rollback check passed[/]: down restores the schema exactly")
    else:
        console.print(f"[yellow]rollback {escape(report.rollback_note or 'not checked')}[/]")
    if not report.ok or len(report.rollbacks) > 1:
        for undo in report.rollbacks:
            if not undo.checked:
                mark = f"[yellow]not checked[/]: {escape(undo.note or '')}"
            elif undo.differences:
                mark = f"[red]differs[/] ({len(undo.differences)} object(s))"
            else:
                mark = "[green]restores the schema[/]"
            console.print(f"  rollback of {escape(undo.version)}: {mark}")
    verdict = "[green]safe[/]" if report.ok else "[bold red]unsafe[/]"
    console.print(f"dry run: {verdict} in {report.total_seconds:.2f}s")


def render_dry_run_html(report: DryRunReport) -> str:
    """A standalone HTML page (for CI artifacts)."""
    return _TEMPLATES.get_template("dryrun.html").render(data=report.to_json())


_FRAGMENTS = {
    "lint": "lint_fragment.html",
    "impact": "impact_fragment.html",
    "dry-run": "dryrun_fragment.html",
    "check": "check_fragment.html",
    "apply": "apply_fragment.html",
}


def render_report_fragment(kind: str, data: dict[str, Any]) -> str:
    """The body of a saved lint, impact, dry-run, check or apply report, for a dashboard page."""
    return _TEMPLATES.get_template(_FRAGMENTS[kind]).render(data=data)


def render_impact_text(report: MigrationImpact, console: Console) -> None:
    owner = f" (owned by {report.owner})" if report.owner else ""
    console.print(
        f"database {report.database or '?'}{owner}; pending: {', '.join(report.pending) or 'nothing'}"
    )
    if not report.changes:
        console.print("[green]no breaking change in the pending migrations[/]")
    for impact in report.changes:
        change = impact.change
        head = f"{Path(change.file).name}:{change.line} {change}"
        if not impact.uses:
            console.print(f"[green]✓[/] {escape(head)}: no consumer uses it")
            continue
        console.print(f"[bold red]✗[/] {escape(head)} breaks {', '.join(impact.services)}")
        for use in impact.uses:
            query = f"\n      {escape(_short(use.query))}" if use.query else ""
            where = " " + escape(f"[{use.where}]") if use.where else ""
            console.print(
                f"    {escape(use.service)} via {use.source}: {escape(use.reference)}{where}{query}"
            )
        console.print("    safe sequence (expand/contract):")
        for number, step in enumerate(impact.advice, start=1):
            console.print(f"      {number}. {escape(step)}")


def _short(sql: str, width: int = 100) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
