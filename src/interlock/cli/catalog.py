"""`interlock catalog check`, `interlock map`, `interlock impact`: the declared topology.

Thin: each command loads the catalog through `interlock.catalog` and renders the result.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import typer

from interlock.catalog import (
    MAP_KINDS,
    Catalog,
    CheckReport,
    Finding,
    ImpactReport,
    InvalidCatalogError,
    NodeKind,
    Severity,
    check_catalog,
    impact,
    load_valid_catalog,
)
from interlock.cli.options import output_option
from interlock.cli.output import (
    EXIT_CODES,
    Format,
    console,
    console_err,
    print_error,
    print_json,
    write_output,
)
from interlock.markup import escape

app = typer.Typer(
    help="The service catalog: check the descriptors (see also `map` and `impact`).\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)

DIR_HELP = "Directory searched for catalog-info.yaml and interlock.yaml files."


class MapFormat(StrEnum):
    """The renderings of the service map."""

    text = "text"
    json = "json"
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="catalog")
    root.command(name="map")(map_command)
    root.command(name="impact")(impact_command)


@app.command(name="check")
def check_command(
    directory: Path = typer.Argument(Path("."), help=DIR_HELP, metavar="DIR"),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
    observed: Path | None = typer.Option(
        None,
        "--observed",
        help="Also compare with the calls seen in the span store of this data directory "
        "(declared but not seen, seen but not declared).",
        metavar="DATA_DIR",
    ),
    window: str = typer.Option(
        "15m", "--window", help="With --observed: how far back to look (15m, 1h, 6h, 1d)."
    ),
) -> None:
    """Check every descriptor under DIR: unknown kinds, missing fields, bad names, references.

    With --observed DATA_DIR, the calls seen in that data directory's spans over --window
    are compared with the declared ones: each drift is a warning finding.

    Exit codes: 0 no findings, 1 findings (errors or warnings, drift included), 2 usage
    error (for example DIR is not a directory, or DATA_DIR has no span store).
    """
    report = check_catalog(directory)
    drift = None
    if observed is not None:
        # imported here: the telemetry package loads FastAPI, which a plain check does not need
        from interlock.telemetry import check_observed

        drift = check_observed(directory, observed, window)
        report = replace(report, findings=report.findings + tuple(drift.findings))
    if format is Format.json:
        data = report.to_json()
        if drift is not None:
            data["observed"] = {"data_dir": str(observed), "window": window, **drift.to_json()}
        print_json(data)
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


def map_command(
    directory: Path = typer.Argument(Path("."), help=DIR_HELP, metavar="DIR"),
    format: MapFormat = typer.Option(
        MapFormat.text, "--format", "-f", help="text, json, mermaid, dot or svg."
    ),
    output: Path | None = output_option(),
    tables: bool = typer.Option(False, "--tables", help="Draw tables (mermaid, dot, svg)."),
    teams: bool = typer.Option(False, "--teams", help="Draw teams (mermaid, dot, svg)."),
) -> None:
    """Draw the service map of the catalog under DIR.

    mermaid, dot and svg draw services, APIs and databases (reads and writes of a
    table point at its database unless --tables); the SVG is laid out by Interlock.

    Exit codes: 0 drawn, 2 usage error or a catalog with errors (listed on stderr).
    """
    # the renderers (SVG layout, XML escaping) only for `map`: `catalog check` runs in hooks
    from interlock.catalog import render_dot, render_mermaid, render_svg, render_text

    graph = _valid(directory, as_json=format is MapFormat.json).graph
    kinds = (
        MAP_KINDS | ({NodeKind.TABLE} if tables else set()) | ({NodeKind.TEAM} if teams else set())
    )
    if format is MapFormat.json:
        import json

        text = json.dumps(graph.to_json(), indent=2) + "\n"
    elif format is MapFormat.mermaid:
        text = render_mermaid(graph, kinds)
    elif format is MapFormat.dot:
        text = render_dot(graph, kinds)
    elif format is MapFormat.svg:
        text = render_svg(graph, kinds=kinds)
    else:
        text = render_text(graph)
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)
        console_err.print(f"wrote {escape(str(output))} ({format.value})", soft_wrap=True)


def impact_command(
    target: str = typer.Argument(
        ..., help="A service, API, database, table (db.table) or table.column.", metavar="TARGET"
    ),
    directory: Path = typer.Argument(Path("."), help=DIR_HELP, metavar="DIR"),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Everything that depends on TARGET, transitively, with the path of edges to it.

    Exit codes: 0 answered (even when nothing depends on TARGET), 2 usage error,
    an unknown TARGET, or a catalog with errors (listed on stderr).
    """
    report = impact(_valid(directory, as_json=format is Format.json).graph, target)
    if format is Format.json:
        print_json(report.to_json())
    else:
        _print_impact(report)


def _valid(directory: Path, as_json: bool) -> Catalog:
    """The catalog, or its error findings on stderr and exit 2."""
    try:
        return load_valid_catalog(directory)
    except InvalidCatalogError as error:
        if as_json:
            findings = [finding.to_json() for finding in error.findings]
            print_error(str(error), as_json=True, findings=findings)
            raise typer.Exit(2) from None
        for finding in error.findings:
            console_err.print(_finding_line(finding), highlight=False, soft_wrap=True)
        console_err.print(f"[bold red]error:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None


def _finding_line(finding: Finding) -> str:
    colour = "red" if finding.severity is Severity.ERROR else "yellow"
    where = f"{finding.file}:{finding.line}:{finding.column}"
    return (
        f"{escape(where)}: [{colour}]{finding.severity.value}[/] "
        f"{escape(f'[{finding.code}]')} {escape(finding.message)}"
    )


def _print_report(report: CheckReport) -> None:
    for finding in report.findings:
        console.print(_finding_line(finding))
    colour = "green" if not report.findings else ("red" if report.errors else "yellow")
    console.print(f"[{colour}]{escape(report.summary())}[/]")


def _print_impact(report: ImpactReport) -> None:
    from rich.table import Table

    from interlock.catalog import describe_path

    target = report.target.id + (f" (column {report.column})" if report.column else "")
    if not report.dependents:
        console.print(f"nothing depends on {escape(target)}")
        return
    table = Table(
        title=f"{len(report.dependents)} depend(s) on {escape(target)}", title_justify="left"
    )
    table.add_column("kind")
    table.add_column("name")
    table.add_column("hops", justify="right")
    table.add_column("path")
    for dependent in report.dependents:
        table.add_row(
            dependent.node.kind.value,
            escape(dependent.node.name),
            str(dependent.distance),
            escape(describe_path(dependent)),
        )
    console.print(table)
