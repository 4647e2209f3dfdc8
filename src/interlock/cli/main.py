"""The root `interlock` command: registers every capability's command group."""

from __future__ import annotations

import sys

import typer

from interlock import __version__
from interlock.cli import catalog, chaos, contract, demo, env, migrate, rca, server, stub, telemetry
from interlock.cli.output import console_err
from interlock.errors import UserInputError

app = typer.Typer(
    name="interlock",
    help=(
        "Interlock: contracts, stubs, migration safety and observability for services.\n\n"
        "Exit codes: 0 success, 1 findings, 2 usage or input error."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"interlock {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Interlock: where backend services meet."""


catalog.register(app)
contract.register(app)
stub.register(app)
chaos.register(app)
env.register(app)
migrate.register(app)
telemetry.register(app)
rca.register(app)
server.register(app)
demo.register(app)


def main() -> None:
    """Run the CLI; a user's mistake prints one message and exits 2, never a traceback."""
    try:
        code = app(standalone_mode=False)
    except UserInputError as error:
        console_err.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(130)
    except typer.TyperException as error:  # usage errors: a bad option, a missing argument
        # typer bundles its own click; its ClickException (a TyperException) knows how to show itself.
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            console_err.print(f"[bold red]error:[/] {error}")
        sys.exit(getattr(error, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)
