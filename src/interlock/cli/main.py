"""The root `interlock` command: every capability's command group, imported when used.

Each group lives in `interlock.cli.<module>` with a `register(root)` function. Importing
them all costs more than a second (FastAPI, SQLAlchemy, OpenTelemetry...), so the root
group knows which module provides which command and imports only the one that runs;
`--help` still lists them all. Typer itself is imported only when a command runs:
`interlock --version` is answered before it (the app is built on first use, `app` included).
"""

from __future__ import annotations

import importlib
import sys

from interlock import __version__

TYPE_CHECKING = False  # not `typing`'s: importing typing costs `--version` a third of its time
if TYPE_CHECKING:
    from typing import Any

    import typer

# Top-level command -> the module whose `register(root)` adds it, in the order `--help` shows.
COMMANDS: dict[str, str] = {
    "catalog": "catalog",
    "map": "catalog",
    "impact": "catalog",
    "contract": "contract",
    "broker": "broker",
    "stub": "stub",
    "fault": "stub",
    "chaos": "chaos",
    "perf": "perf",
    "env": "env",
    "migrate": "migrate",
    "collector": "telemetry",
    "traces": "telemetry",
    "logs": "telemetry",
    "telemetry": "telemetry_store",
    "rca": "rca",
    "incidents": "incidents",
    "change": "incidents",
    "server": "server",
    "demo": "demo",
}


# built once each; plain dicts, not functools.cache: `--version` imports nothing it does not use
_groups: dict[str, Any] = {}
_apps: dict[str, typer.Typer] = {}


def _module_commands(module: str) -> Any:
    """The click group holding what `interlock.cli.<module>` registers (typer's own click)."""
    if module not in _groups:
        import typer

        holder = typer.Typer()
        holder.callback()(_no_options)  # a callback makes it a group even with one command
        importlib.import_module(f"interlock.cli.{module}").register(holder)
        _groups[module] = typer.main.get_command(holder)
    return _groups[module]


def _no_options() -> None:
    """Stands in for the root's own callback while the module's commands are collected."""


def _app() -> typer.Typer:
    """The root command, built once when first used."""
    if "root" not in _apps:
        _apps["root"] = _build_app()
    return _apps["root"]


def _build_app() -> typer.Typer:
    import typer
    from typer.core import TyperGroup

    class _LazyGroup(TyperGroup):
        def list_commands(self, ctx: Any) -> list[str]:
            return list(COMMANDS)

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            module = COMMANDS.get(cmd_name)
            return None if module is None else _module_commands(module).get_command(ctx, cmd_name)

    app = typer.Typer(
        name="interlock",
        cls=_LazyGroup,
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

    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # `from interlock.cli.main import app`, for CliRunner and the docs
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; a user's mistake prints one message and exits 2, never a traceback.

    With `--format json` on the command line, that message is one JSON object on stderr,
    `{"error": "...", "code": 2}`, so that a machine reading the output can read it too.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # a version check in a script or hook need not load typer
        sys.stdout.write(f"interlock {__version__}\n")
        sys.exit(0)
    import typer

    from interlock.cli.output import as_process, console_err, print_error, wants_json
    from interlock.errors import UserInputError

    as_process()
    as_json = wants_json(args)
    try:
        code = _app()(args=argv, standalone_mode=False)
    except UserInputError as error:
        print_error(str(error), as_json=as_json)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(130)
    except typer.TyperException as error:  # usage errors: a bad option, a missing argument
        status = getattr(error, "exit_code", 2)
        print_error(_usage_message(error), as_json=as_json, code=status)
        sys.exit(status)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_message(error: typer.TyperException) -> str:
    """Click's usage error in one line: the flag, what was wrong, where to read more.

    Typer bundles its own click, whose exceptions are read here by their attributes.
    """
    import typer

    message = str(getattr(error, "message", "") or error)
    param = getattr(error, "param", None)
    missing = hasattr(error, "param_type")  # MissingParameter words its own message well
    if param is not None and isinstance(error, typer.BadParameter) and not missing:
        if getattr(param, "param_type_name", "") == "option":
            longs = [flag for flag in param.opts if flag.startswith("--")]
            name = max(longs or param.opts, key=len)
        else:
            name = param.human_readable_name
        message = f"{name}: {message}"
    else:
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else message
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message
