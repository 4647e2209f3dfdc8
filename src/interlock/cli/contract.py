"""`interlock contract`: HTTP and database contracts: verify, compare with specs, diff."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="HTTP and database contracts: verify, compare with specs, diff. (not built yet)",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="contract")
