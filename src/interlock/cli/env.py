"""`interlock env up|status|down`: a service test environment of stubs, real processes, databases.

Thin: parse, call one function of `interlock.envs`, render (Rich, or `--format json`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from interlock.cli.output import EXIT_CODES, Format, console, console_err, print_json
from interlock.envs import (
    EnvironmentState,
    default_state_dir,
    environment_status,
    load_environment_file,
    start_environment,
    stop_environment,
    stub_services,
)
from interlock.errors import UserInputError
from interlock.processes import ProcessStartError, sigterm_as_interrupt

app = typer.Typer(
    help="A service test environment: stubs, real processes and PostgreSQL, up and down.\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)

STATE_DIR = typer.Option(
    None,
    "--state-dir",
    help="Where the environment's state, .env and logs live (default: .interlock/envs/NAME).",
)
FORMAT = typer.Option(Format.text, "--format", "-f", help="text or json.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="env")


def _state_dir(file: Path | None, state_dir: Path | None) -> Path:
    """The state directory from --state-dir, else from the file's `name`, else the only one."""
    if state_dir is not None:
        return state_dir
    if file is not None:
        return default_state_dir(load_environment_file(file).name)
    root = Path.cwd() / ".interlock" / "envs"
    running = sorted(p for p in root.glob("*") if (p / "state.json").exists())
    if len(running) == 1:
        return running[0]
    names = ", ".join(p.name for p in running) or "none"
    raise UserInputError(
        f"say which environment: give its FILE or --state-dir (environments up under {root}: {names})"
    )


@app.command("up")
def up(
    file: Path = typer.Argument(..., help="The environment file (interlock-env.yaml)."),
    state_dir: Path | None = STATE_DIR,
    timeout: float = typer.Option(
        60.0, "--timeout", help="Seconds to wait for each piece to answer its health check."
    ),
    output: Format = FORMAT,
) -> None:
    """Start every piece of FILE in dependency order and return once all answer.

    The pieces keep running (detached) until `interlock env down`. Endpoints are exported
    as variables (`<NAME>_URL`, `<NAME>_DATABASE_URL`, `DATABASE_URL`,
    `OTEL_EXPORTER_OTLP_ENDPOINT`) written to STATE_DIR/.env. A piece that does not come up
    stops everything already started (also on Ctrl-C).

    Exit codes: 0 up, 2 a bad file, a piece that did not come up (its last log lines are shown), or the environment is already up; 130 interrupted (what had started is stopped).
    """
    spec = load_environment_file(file)
    directory = state_dir or default_state_dir(spec.name)
    if output is Format.text:
        console_err.print(f"Starting environment [bold]{spec.name}[/]…")
    try:
        with sigterm_as_interrupt():
            running = start_environment(spec, directory, timeout)
    except ProcessStartError as error:
        raise UserInputError(f"environment {spec.name} did not come up: {error}") from None
    except KeyboardInterrupt:
        console_err.print("interrupted: everything started was stopped")
        raise typer.Exit(130) from None
    if output is Format.json:
        print_json(running.state.to_json())
        return
    _render_state(running.state)
    console.print(
        f"variables written to [bold]{directory / '.env'}[/]; stop with `interlock env down --state-dir {directory}`"
    )


def _stub_rows(state: EnvironmentState, piece_name: str) -> list[tuple[str, str]]:
    """The services a `stubs` piece serves, each with its own URL (shown under the piece)."""
    piece = next((p for p in state.pieces if p.name == piece_name and p.kind == "stubs"), None)
    services = piece.detail.get("services", {}) if piece else {}
    return [(f"  └ {name}", str(url)) for name, url in services.items()]


def _print_trust(state: EnvironmentState) -> None:
    """One line per stub served from a broker's pact: whether its pact is trusted."""
    trusted = [s for s in stub_services(state) if s["trust"] is not None]
    if trusted:
        from interlock.stubs import trust_line

        for service in trusted:
            console.print(f"stub {service['name']}: {trust_line(service['trust'])}", markup=False)


def _render_state(state: EnvironmentState) -> None:
    table = Table("piece", "kind", "url", "pid")
    for piece in state.pieces:
        table.add_row(piece.name, piece.kind, piece.url or "", str(piece.pid or ""))
        for name, url in _stub_rows(state, piece.name):
            table.add_row(name, "stub", url, "")
    console.print(table)
    _print_trust(state)
    for key, value in state.variables.items():
        console.print(f"{key}={value}")


@app.command("status")
def status(
    file: Path | None = typer.Argument(None, help="The environment file (or use --state-dir)."),
    state_dir: Path | None = STATE_DIR,
    output: Format = FORMAT,
) -> None:
    """Show each piece of a running environment: its URL, pid, and whether it answers.

    Exit codes: 0 every piece healthy, 1 a piece stopped or does not answer, 2 no environment is up there.
    """
    state, statuses = environment_status(_state_dir(file, state_dir))
    healthy = all(s.healthy for s in statuses)
    if output is Format.json:
        print_json(
            {
                **state.to_json(),
                "healthy": healthy,
                "status": [s.to_json() for s in statuses],
                "stubs": stub_services(state),
            }
        )
    else:
        table = Table("piece", "kind", "url", "pid", "health")
        for item in statuses:
            health = (
                "[green]up[/]"
                if item.healthy
                else "[yellow]no answer[/]"
                if item.running
                else "[red]stopped[/]"
            )
            table.add_row(item.name, item.kind, item.url or "", str(item.pid or ""), health)
            for name, url in _stub_rows(state, item.name):
                table.add_row(name, "stub", url, "", health)
        console.print(f"environment [bold]{state.name}[/] ({state.file})")
        console.print(table)
        _print_trust(state)
    if not healthy:
        raise typer.Exit(1)


@app.command("down")
def down(
    file: Path | None = typer.Argument(None, help="The environment file (or use --state-dir)."),
    state_dir: Path | None = STATE_DIR,
    output: Format = FORMAT,
) -> None:
    """Stop every piece of a running environment and remove its databases.

    Exit codes: 0 stopped, 2 no environment is up there.
    """
    state = stop_environment(_state_dir(file, state_dir))
    if output is Format.json:
        print_json({"name": state.name, "stopped": [p.name for p in state.pieces]})
    else:
        console.print(f"environment [bold]{state.name}[/] stopped ({len(state.pieces)} pieces)")
