"""`migrate check` for people and for CI: Rich text, Markdown for a pull-request comment, and
GitHub workflow annotations (the lint findings, then one per failing checklist item)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from interlock.migrations.check import CheckReport, ItemStatus
from interlock.migrations.report import _escape_data, _escape_property, to_github

_MARKS = {
    ItemStatus.passed: ("[green]✓[/]", "✅"),
    ItemStatus.warning: ("[yellow]![/]", "⚠️"),
    ItemStatus.failed: ("[bold red]✗[/]", "❌"),
    ItemStatus.skipped: ("[dim]-[/]", "⏭️"),
}


def _verdict(report: CheckReport) -> str:
    return "pass" if report.ok else "fail"


def render_check_text(report: CheckReport, console: Console) -> None:
    pending = ", ".join(report.pending) or "nothing"
    owner = f" (owned by {report.impact.owner})" if report.impact.owner else ""
    console.print(
        f"{escape(report.path)}: pending {escape(pending)}; database "
        f"{escape(report.impact.database or '?')}{escape(owner)}"
    )
    for item in report.items:
        console.print(f"{_MARKS[item.status][0]} {item.title}: {escape(item.summary)}")
        for detail in item.details:
            console.print(f"    {escape(detail)}")
    colour = "green" if report.ok else "bold red"
    console.print(f"migrate check: [{colour}]{_verdict(report)}[/] — {escape(report.reason)}")


def to_markdown(report: CheckReport) -> str:
    """A pull-request comment: the verdict, then the checklist as a task list."""
    mark = "✅" if report.ok else "❌"
    lines = [
        f"### {mark} Migration check: {_verdict(report)} — {report.reason}",
        "",
        f"`{report.path}` · pending {', '.join(f'`{v}`' for v in report.pending) or 'nothing'}"
        + (f" · database `{report.impact.database}`" if report.impact.database else "")
        + (f" (owned by {report.impact.owner})" if report.impact.owner else ""),
        "",
    ]
    for item in report.items:
        box = "x" if item.status in (ItemStatus.passed, ItemStatus.skipped) else " "
        lines.append(f"- [{box}] {_MARKS[item.status][1]} **{item.title}**: {_md(item.summary)}")
        lines += [f"  - {_md(detail)}" for detail in item.details]
    if report.lint.findings:
        lines += [
            "",
            f"<details><summary>Lint findings ({len(report.lint.findings)})</summary>",
            "",
        ]
        for f in report.lint.findings:
            lock = f" ({f.lock})" if f.lock else ""
            lines.append(
                f"- `{f.file}:{f.line}` **{f.severity}** `{f.rule}`{lock}: {_md(f.message)}"
            )
            lines.append(f"  - instead: {_md(f.instead)}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text in a Markdown list item: no accidental HTML or table pipes."""
    return text.replace("<", "&lt;").replace("|", "\\|")


def to_github_check(report: CheckReport) -> str:
    """The lint findings as annotations, then one `::error` per failing item."""
    lines = (
        [to_github(report.lint).rstrip("\n")] if report.lint.findings or report.lint.notes else []
    )
    for item in report.items:
        if item.status is not ItemStatus.failed:
            continue
        place = (
            f"file={_escape_property(item.file)},line={item.line},"
            if item.file and item.line
            else ""
        )
        title = _escape_property(f"migrate check: {item.title}")
        body = "\n".join([item.summary, *item.details])
        lines.append(f"::error {place}title={title}::{_escape_data(body)}")
    return "\n".join(lines) + ("\n" if lines else "")
