"""`interlock demo`: the example shop, its services and the server, in one command."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    root.command(name="demo")(demo)


def demo() -> None:
    """Start the example shop and the dashboard (not built yet)."""
    raise typer.Exit(2)
