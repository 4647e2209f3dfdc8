"""`interlock stub`: Stubs of dependent services from contracts, specs and recordings."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Stubs of dependent services from contracts, specs and recordings. (not built yet)",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stub")
