"""`interlock migrate check`: lint, impact and dry run as one checklist with one verdict.
Registered on `migrate` by `cli/migrate.py`; drivers and the catalog load inside the command."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from interlock.cli.options import output_option, writable_directory
from interlock.cli.output import console, print_json, render_to_text, write_output


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


def check_command(
    path: Path = typer.Argument(..., help="The migration directory (layout detected)."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="A database to dry-run on (a scratch copy of it; it is only read) and read history from.",
    ),
    catalog_dir: Path | None = typer.Option(
        None, "--catalog", help="Catalog descriptors (default: current directory)."
    ),
    database: str | None = typer.Option(
        None, "--database", help="The database these migrations build (default: from the catalog)."
    ),
    contracts: list[Path] = typer.Option(
        [], "--contracts", help="Database contract files or directories (*.dbcontract.yaml)."
    ),
    from_version: str | None = typer.Option(
        None, "--from", help="Migrations after this version are pending."
    ),
    pg_version: int | None = typer.Option(
        None, "--pg-version", help="PostgreSQL major version lint assumes."
    ),
    max_lock_ms: float = typer.Option(
        1000.0, "--max-lock-ms", help="On the copy, a blocking lock held longer fails the check."
    ),
    format: CheckFormat = typer.Option(
        CheckFormat.text, "--format", "-f", help="text, json, markdown (a PR comment) or github."
    ),
    output: Path | None = output_option("Write the report to this file."),
    save_to: Path | None = typer.Option(
        None,
        "--save",
        help="Keep the report in this data directory (the dashboard shows it).",
        callback=writable_directory,
    ),
) -> None:
    """The pre-migration checklist: lock levels, rewrites, breaking changes and their owners,
    backfill plan, rollback tested, expected duration on the copy — one verdict.

    Without --database-url the last migration is pending and nothing is run.

    Exit codes: 0 every item passes, 1 an item fails, 2 bad input.
    """
    from interlock import migrations
    from interlock.migrations.check import check_directory
    from interlock.migrations.check_render import render_check_text, to_github_check, to_markdown

    settings = migrations.load_lint_settings(
        migrations.find_lint_config(Path.cwd()), pg_version=pg_version
    )
    report = check_directory(
        path,
        settings,
        catalog_dir=catalog_dir or Path.cwd(),
        database=database,
        contract_paths=contracts,
        from_version=from_version,
        database_url=database_url,
        max_lock_ms=max_lock_ms,
    )
    if save_to is not None:
        migrations.save_report(save_to, "check", str(path), report.to_json())
    if format is CheckFormat.json:
        if output is None:
            print_json(report.to_json())
            raise typer.Exit(0 if report.ok else 1)
        import json

        text = json.dumps(report.to_json(), indent=2) + "\n"
    elif format is CheckFormat.markdown:
        text = to_markdown(report)
    elif format is CheckFormat.github:
        text = to_github_check(report)
    elif output is not None:
        text = render_to_text(lambda to: render_check_text(report, to))
    else:
        render_check_text(report, console)
        text = ""
    if output is not None:
        write_output(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(0 if report.ok else 1)


def register_check(app: typer.Typer) -> None:
    app.command("check")(check_command)
