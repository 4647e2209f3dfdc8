"""`interlock server`: the one ASGI app (dashboard, JSON API) on uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from interlock.cli.options import port_option
from interlock.cli.output import Format, console, console_err, print_json
from interlock.server import check_settings, run_server
from interlock.settings import load_settings
from interlock.store import display_url


def register(root: typer.Typer) -> None:
    root.command(name="server")(server)


def server(
    host: str | None = typer.Option(
        None, "--host", help="Address to bind. (env INTERLOCK_HOST, default 127.0.0.1)"
    ),
    port: int | None = port_option(
        None, "--port", help="Port to listen on. (env INTERLOCK_PORT, default 7878)"
    ),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Where Interlock keeps its data. (env INTERLOCK_DATA_DIR, default .interlock)",
    ),
    catalog: Path | None = typer.Option(
        None,
        "--catalog",
        help="Directory of catalog descriptors. (env INTERLOCK_CATALOG_DIR, default .)",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help=(
            "sqlite:///path or postgresql://user@host/db. "
            "(env INTERLOCK_DATABASE_URL, default sqlite:///DATA_DIR/interlock.db)"
        ),
    ),
    output: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text or json: at start, one object with the URL, catalog and database.",
    ),
) -> None:
    """Serve the dashboard and the JSON API until Ctrl-C or SIGTERM.

    Settings: flag > INTERLOCK_* variable > tool.interlock in ./pyproject.toml > default.

    Exit codes: 0 stopped cleanly, 2 bad setting, unusable database or port in use.
    """
    settings = load_settings(
        host=host, port=port, data_dir=data_dir, database_url=database_url, catalog_dir=catalog
    )
    check_settings(settings)
    if output is Format.json:
        print_json(
            {
                "url": settings.url,
                "host": settings.host,
                "port": settings.port,
                "catalog": str(settings.catalog_dir),
                "database": display_url(settings.database_url),
            }
        )
    else:
        console.print(f"Interlock dashboard on [bold]{settings.url}[/] (Ctrl-C to stop)")
        console.print(f"  catalog   {settings.catalog_dir}")
        console.print(f"  database  {display_url(settings.database_url)}")
    sys.stdout.flush()  # whoever reads the URL through a pipe needs it now
    run_server(settings)
    (console_err if output is Format.json else console).print("Interlock stopped.")
