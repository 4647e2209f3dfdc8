"""`interlock catalog check`, `interlock map`, `interlock impact`: the declared topology."""

from __future__ import annotations

import typer

app = typer.Typer(help="The service catalog: check descriptors.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="catalog")
