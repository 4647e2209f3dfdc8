"""`interlock migrate`: Migration safety: lint, impact, dry run, rollback check."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Migration safety: lint, impact, dry run, rollback check. (not built yet)",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="migrate")
