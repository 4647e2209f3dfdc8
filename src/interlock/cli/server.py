"""`interlock server`: the one ASGI app (dashboard, JSON API) on uvicorn."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    root.command(name="server")(server)


def server() -> None:
    """Serve the dashboard and the JSON API (not built yet)."""
    raise typer.Exit(2)
