"""`interlock telemetry`: Traces and logs: the OTLP collector, root-cause analysis, log checks."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Traces and logs: the OTLP collector, root-cause analysis, log checks. (not built yet)",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="telemetry")
