"""Lint results rendered for people and for CI: text, JSON, SARIF 2.1.0, GitHub annotations.

Line and column numbers are 1-based in every format.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from interlock import __version__
from interlock.migrations.model import Finding, LintReport, LintSettings, Severity
from interlock.migrations.rulebook import Rule

if TYPE_CHECKING:
    from rich.console import Console

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class LintFormat(StrEnum):
    """Output of `migrate lint`."""

    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _facts(finding: Finding) -> str:
    if finding.lock is None:
        return ""
    effects = [
        e
        for e, on in (
            ("rewrites table", finding.rewrites_table),
            ("scans table", finding.scans_table),
        )
        if on
    ]
    return f"lock {finding.lock}" + (f", {', '.join(effects)}" if effects else "")


def version_note(settings: LintSettings) -> str:
    """Which PostgreSQL the lock and rewrite notes hold for, where that came from, how to change it."""
    source = settings.pg_version_from
    how = {"default": "--pg-version to change", "--pg-version": "from --pg-version"}.get(
        source, f"from {source}; --pg-version to change"
    )
    return f"notes assume PostgreSQL {settings.pg_version} ({how})"


def render_text(report: LintReport, console: Console) -> None:
    """Findings grouped by file, each with its lock facts, why, and what to do instead."""
    from interlock.markup import escape  # markup without Rich: a pipe gets plain text

    console.print(f"[dim]{escape(version_note(report.settings))}[/]")
    for note in report.notes:
        console.print(
            f"[yellow]note[/]  {escape(note.file)}: {escape(note.message)} "
            "(read only as context for the file linted; left out of the schema replay)",
            highlight=False,
        )
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.file].append(finding)
    for file, findings in by_file.items():
        console.print(f"[bold]{escape(file)}[/]")
        for f in sorted(findings, key=lambda f: (f.line, f.column)):
            colour = "red" if f.severity is Severity.error else "yellow"
            console.print(
                f"  {f.line}:{f.column}  [{colour}]{f.severity}[/]  [bold]{f.rule}[/]  {escape(f.message)}",
                markup=True,
                highlight=False,
            )
            facts = _facts(f)
            if facts:
                console.print(f"      [dim]{facts}[/]")
            console.print(f"      why: {f.why}", markup=False)
            console.print(f"      instead: {f.instead}", markup=False)
        console.print()
    summary = (
        f"{report.errors} error(s), {report.warnings} warning(s) in {report.files} migration(s), "
        f"{report.statements} statement(s)"
    )
    console.print(f"[bold red]{summary}[/]" if report.errors else summary)


def to_json(report: LintReport) -> dict[str, Any]:
    """The report for `--format json`. The findings stay `Finding`s: orjson (`print_json`)
    writes a dataclass as an object of its fields, which is what `Finding.to_dict` gives."""
    return {
        "pg_version": report.settings.pg_version,
        "pg_version_from": report.settings.pg_version_from,
        "assume_in_transaction": report.settings.assume_in_transaction,
        "summary": {
            "errors": report.errors,
            "warnings": report.warnings,
            "migrations": report.files,
            "statements": report.statements,
        },
        "findings": report.findings,
        "notes": [{"file": n.file, "message": n.message} for n in report.notes],
    }


def lint_report_data(report: LintReport) -> dict[str, Any]:
    """The JSON report as plain data, with its verdict: what `migrate lint --save` keeps."""
    return {
        **to_json(report),
        "kind": "lint",
        "ok": not report.errors,
        "findings": [f.to_dict() for f in report.findings],
    }


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.error else "warning"


def to_sarif(report: LintReport, rules: dict[str, Rule]) -> dict[str, Any]:
    """A SARIF 2.1.0 log that GitHub code scanning accepts."""
    ordered = sorted(rules.values(), key=lambda r: r.id)
    index = {rule.id: i for i, rule in enumerate(ordered)}
    driver_rules = [
        {
            "id": rule.id,
            "name": "".join(part.capitalize() for part in rule.id.split("-")),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why},
            "help": {
                "text": f"{rule.why}\n\nInstead: {rule.instead}",
                "markdown": f"{rule.why}\n\n**Instead:** {rule.instead}",
            },
            "defaultConfiguration": {"level": _level(rule.severity)},
            "properties": {"tags": ["migrations", rule.family]},
        }
        for rule in ordered
    ]
    results = []
    seen: dict[str, int] = {}
    for f in report.findings:
        facts = _facts(f)
        # unique per result, and stable when lines move: GitHub merges alerts that share one
        key = f"{f.rule}:{f.file}:{f.statement}:{f.message}"
        seen[key] = seen.get(key, 0) + 1
        fingerprint = key if seen[key] == 1 else f"{key}:{seen[key]}"
        text = f"{f.message}. {facts + '. ' if facts else ''}Instead: {f.instead}"
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _level(f.severity),
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": _artifact(f.file),
                            "region": {"startLine": f.line, "startColumn": f.column},
                        }
                    }
                ],
                "partialFingerprints": {"interlockFinding/v2": fingerprint},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "interlock",
                        "version": __version__,
                        **_information_uri(),
                        "rules": driver_rules,
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": f"{n.message} (context only)"},
                                "locations": [
                                    {"physicalLocation": {"artifactLocation": _artifact(n.file)}}
                                ],
                            }
                            for n in report.notes
                        ],
                    }
                ],
            }
        ],
    }


def _artifact(file: str) -> dict[str, str]:
    """A repository-relative URI for GitHub; an absolute path becomes a file:// URI."""
    path = PurePosixPath(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": file, "uriBaseId": "%SRCROOT%"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _information_uri() -> dict[str, str]:
    """The project's home page from the installed package's metadata, when it names one: an
    invented address would send readers of a code-scanning alert nowhere."""
    from importlib import metadata

    try:
        meta = metadata.metadata("interlock")
    except metadata.PackageNotFoundError:
        return {}
    for entry in meta.get_all("Project-URL") or ():
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "documentation", "source"):
            return {"informationUri": url.strip()}
    homes = meta.get_all("Home-page") or []
    return {"informationUri": str(homes[0])} if homes else {}


def to_github(report: LintReport) -> str:
    """GitHub Actions workflow commands: one `::error` / `::warning` line per finding."""
    lines = [
        f"::warning file={_escape_property(n.file)},title=context::"
        f"{_escape_data(n.message)} (read only as context; left out of the schema replay)"
        for n in report.notes
    ]
    for f in report.findings:
        facts = _facts(f)
        message = f"{f.message}. {facts + '. ' if facts else ''}{f.why}\nInstead: {f.instead}"
        properties = ",".join(
            [
                f"file={_escape_property(f.file)}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_escape_property(f.rule)}",
            ]
        )
        lines.append(f"::{_level(f.severity)} {properties}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
