"""`interlock migrate`: migration safety — lint, cross-service impact, dry run, rollback check."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from interlock import migrations
from interlock.cli.migrate_apply import register_apply
from interlock.cli.migrate_check import register_check
from interlock.cli.options import output_option, writable_directory
from interlock.cli.output import (
    EXIT_CODES,
    Format,
    console,
    console_err,
    finish,
    output_errors,
    print_json,
    render_to_text,
    short_lived,
    write_output,
)
from interlock.migrations import (
    LintFormat,
    all_rules,
    find_lint_config,
    lint_paths,
    load_lint_settings,
    render_text,
    to_github,
    to_json,
    to_sarif,
)
from interlock.migrations.forked import cpu_count

# Impact, dry run and contracts need drivers, the catalog and the contract package: they are
# reached through `migrations.` (loaded on first use) or imported in their command, so that
# `migrate lint` starts in a tenth of a second.

app = typer.Typer(
    help="Migration safety: lint, cross-service impact, a measured dry run, rollback check.\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)


@app.command("lint")
def lint(
    paths: list[Path] = typer.Argument(
        ..., help="Migration directories (layout detected) or single migration files."
    ),
    pg_version: int | None = typer.Option(
        None,
        "--pg-version",
        help="PostgreSQL major version the notes assume (else INTERLOCK_PG_VERSION, settings, 16).",
    ),
    format: LintFormat = typer.Option(
        LintFormat.text,
        "--format",
        "-f",
        help="text, json, sarif (GitHub code scanning) or github.",
    ),
    assume_in_transaction: bool | None = typer.Option(
        None,
        "--assume-in-transaction/--no-assume-in-transaction",
        help="Treat every migration as wrapped in a transaction.",
    ),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        min=0,
        help="Processes for a large directory (default 0: one per CPU; 1: no other process).",
    ),
    save_to: Path | None = typer.Option(
        None,
        "--save",
        help="Keep the report in this Interlock data directory (the dashboard shows it).",
        callback=writable_directory,
    ),
) -> None:
    """Find migration statements that lock, rewrite or break: each with the safe way instead.

    Reads Flyway, golang-migrate, dbmate, sqitch, diesel-style and plain SQL layouts.
    Settings: \\[tool.interlock.migrations] in pyproject.toml, or `migrations:` in a
    `kind: Config` document of interlock.yaml (pg_version,
    assume_in_transaction, disabled_rules). Silence one statement with
    `-- interlock:ignore RULE reason` on the line before it. A single file is linted with
    the migrations before it replayed as context; a problem in one of those is a note.

    Exit codes: 0 no error finding, 1 at least one error finding, 2 unreadable or unparsable
    input, or a directory with no migrations.
    """
    short_lived()
    settings = load_lint_settings(
        find_lint_config(Path.cwd()),
        pg_version=pg_version,
        assume_in_transaction=assume_in_transaction,
    )
    report = lint_paths(paths, settings, workers=jobs or cpu_count())
    if save_to is not None:
        label = " ".join(str(p) for p in paths)
        migrations.save_report(save_to, "lint", label, migrations.lint_report_data(report))
    if format is LintFormat.json:
        print_json(to_json(report))
    elif format is LintFormat.sarif:
        print_json(to_sarif(report, all_rules()))
    elif format is LintFormat.github:
        sys.stdout.write(to_github(report))
    else:
        render_text(report, console)
    finish(1 if report.errors else 0)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


@app.command("impact")
def impact(
    path: Path = typer.Argument(..., help="The migration directory (layout detected)."),
    catalog_dir: Path | None = typer.Option(
        None, "--catalog", help="Catalog descriptors (default: current directory)."
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        help="The database these migrations build (default: inferred from the catalog).",
    ),
    contracts: list[Path] = typer.Option(
        [], "--contracts", help="Database contract files or directories (*.dbcontract.yaml)."
    ),
    from_version: str | None = typer.Option(
        None, "--from", help="Migrations after this version are pending."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Read pending migrations from this database's history table."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Interlock data directory whose traces give observed queries."
    ),
    save_to: Path | None = typer.Option(
        None,
        "--save",
        help="Keep the report in this Interlock data directory (the dashboard shows it).",
        callback=writable_directory,
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Which services a pending migration breaks: catalog, database contracts and traces.

    Without --from or --database-url, the last migration is the pending one.

    Exit codes: 0 no consumer broken, 1 a breaking change hits a consumer, 2 bad input.
    """
    report = migrations.impact_of_directory(
        path,
        catalog_dir=catalog_dir or Path.cwd(),
        database=database,
        contract_paths=contracts,
        from_version=from_version,
        database_url=database_url,
        data_dir=data_dir,
    )
    if save_to is not None:
        migrations.save_report(save_to, "impact", str(path), report.to_json())
    if format is Format.json:
        print_json(report.to_json())
    else:
        migrations.render_impact_text(report, console)
    raise typer.Exit(1 if report.breaks_consumers else 0)


@app.command("dry-run")
def dry_run_command(
    path: Path = typer.Argument(..., help="The migration directory (layout detected)."),
    database_url: str = typer.Option(
        ...,
        "--database-url",
        help="The source database, postgresql://user@host:5432/name; it is only read.",
    ),
    from_version: str | None = typer.Option(
        None,
        "--from",
        help="Migrations after this version are pending (default: the history table).",
    ),
    sample: float | None = typer.Option(
        None,
        "--sample",
        min=0.0,
        max=100.0,
        help="Copy only this percentage of rows (TABLESAMPLE).",
    ),
    mask: list[str] = typer.Option(
        [], "--mask", help="TABLE.COLUMN to copy as md5 of its value (personal data)."
    ),
    contracts: list[Path] = typer.Option(
        [],
        "--contracts",
        help="Database contract files or directories to PREPARE on the migrated copy.",
    ),
    max_lock_ms: float = typer.Option(
        1000.0, "--max-lock-ms", help="A blocking lock held longer than this is a finding."
    ),
    broker: str | None = typer.Option(
        None,
        "--broker",
        help="Also replay each consumer's latest database contract from this broker (its base "
        "URL) and publish one verification result per contract.",
    ),
    version: str | None = typer.Option(
        None, "--version", help="The database owner's version the results are published for."
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        help="The database's name in the broker (default: the one --database-url names).",
    ),
    broker_token: str | None = typer.Option(
        None,
        "--broker-token",
        envvar=["INTERLOCK_BROKER_TOKEN", "PACT_BROKER_TOKEN"],
        help="A broker token with the verify role (with --broker).",
    ),
    format: ReportFormat = typer.Option(
        ReportFormat.text, "--format", "-f", help="text, json or html."
    ),
    output: Path | None = output_option("Write the report to this file."),
    save_to: Path | None = typer.Option(
        None,
        "--save",
        help="Keep the report in this Interlock data directory (the dashboard shows it).",
        callback=writable_directory,
    ),
) -> None:
    """Apply pending migrations to a scratch copy and measure locks, rewrites and rows read.

    Then PREPARE every consumer's contract query on the migrated copy, run the down
    migrations and compare the schema with the one before. The source is never written;
    the scratch copy is always dropped.

    Exit codes: 0 safe, 1 a failed statement, broken contract, risky lock or rollback difference, 2 bad input.
    """
    from interlock.contracts import load_contract_queries
    from interlock.migrations import broker_verdicts as verdicts_

    report, verdicts = verdicts_.dry_run_with_broker(
        database_url,
        migrations.read_migrations(path),
        verdicts_.broker_target(broker, version, database, broker_token),
        from_version=from_version,
        contracts=load_contract_queries(contracts),
        sample_percent=sample,
        masks=mask,
        max_lock_ms=max_lock_ms,
    )
    if save_to is not None:
        migrations.save_report(save_to, "dry-run", str(path), report.to_json())
    if format is ReportFormat.json:
        data = report.to_json()
        if verdicts is not None:
            data["broker"] = verdicts_.verdicts_to_json(verdicts)
        text = json.dumps(data, indent=2) + "\n"
    elif format is ReportFormat.html:
        text = migrations.render_dry_run_html(report) + "\n"
    elif output is not None:
        text = render_to_text(lambda to: verdicts_.render_dry_run_text(report, verdicts, to))
    else:
        verdicts_.render_dry_run_text(report, verdicts, console)
        text = ""
    if output is not None:
        write_output(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(0 if report.ok else 1)


contract_app = typer.Typer(
    help="Database contracts: the queries a consumer runs on a database it does not own.\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)
app.add_typer(contract_app, name="contract")


@contract_app.command("extract")
def extract_contract(
    service: str = typer.Option(
        ..., "--service", help="The consumer service whose queries to take."
    ),
    database: str = typer.Option(
        ..., "--database", help="The database (owned by another service) they run on."
    ),
    data_dir: Path = typer.Option(
        Path(".interlock"), "--data-dir", help="Interlock data directory with the span store."
    ),
    out: Path | None = output_option("Write the contract here, as YAML (default: print it)."),
    format: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text (the contract as YAML) or json (the contract, or with --output what was written).",
    ),
) -> None:
    """Write a first database contract from the queries seen on a service's spans.

    Exit codes: 0 written, 1 no query of that service on that database was seen, 2 bad input.
    """
    import yaml

    from interlock.contracts import contract_from_queries, write_database_contract

    queries = [
        q.sql for q in migrations.observed_queries(data_dir, database) if q.service == service
    ]
    contract = contract_from_queries(service, database, queries, str(out or ""))
    if not contract.queries:
        if format is Format.json:
            print_json({"service": service, "database": database, "queries": []})
        console_err.print(f"no query of {service} on {database} was seen in {data_dir}")
        raise typer.Exit(1)
    if out is not None:
        with output_errors(out):
            write_database_contract(contract, out)
        if format is Format.json:
            print_json({"written": str(out), "queries": len(contract.queries)})
        else:
            console.print(f"wrote {len(contract.queries)} queries to {out}")
    elif format is Format.json:
        print_json(contract.to_json())
    else:
        sys.stdout.write(yaml.safe_dump(contract.to_json(), sort_keys=False, width=100))


register_apply(app)
register_check(app)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="migrate")
