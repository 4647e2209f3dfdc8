"""`interlock demo`: the example shop, its services and the server, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table
from rich.text import Text

from interlock.cli.output import console, console_err
from interlock.demo import DemoRun, start_demo
from interlock.processes import ProcessSet, ProcessStartError, sigterm_as_interrupt


def register(root: typer.Typer) -> None:
    root.command(name="demo")(demo)


def demo(
    data_dir: Path = typer.Option(
        Path(".interlock/demo"), "--data-dir", help="Databases, logs and the server's data."
    ),
    port: int = typer.Option(7878, "--port", help="Port of the Interlock server (dashboard)."),
    no_browser_hint: bool = typer.Option(
        False, "--no-browser-hint", help="Do not suggest opening the dashboard."
    ),
    timeout: float = typer.Option(
        60.0, "--timeout", help="Seconds to wait for every process to answer."
    ),
) -> None:
    """Start the example shop (four services) and the Interlock server, until Ctrl-C.

    Each process gets a free port and logs under DATA_DIR/logs; their pids are written to DATA_DIR/demo.json. Ctrl-C or SIGTERM stops every process it started.

    Exit codes: 0 stopped by Ctrl-C or SIGTERM; 2 something did not start or stopped on its own (the message names it and shows its last log lines), or a usage error.
    """
    with sigterm_as_interrupt(), ProcessSet() as processes:
        try:
            console.print("Starting the Interlock server and the example shop…")
            run = start_demo(processes, data_dir, port, timeout)
            _render(run, hint=not no_browser_hint)
            exited = processes.wait_for_exit()
        except KeyboardInterrupt:
            console.print("Stopping the demo…")
            return
        except ProcessStartError as error:
            _fail(str(error))
        _fail(exited.describe_failure(f"stopped on its own (exit code {exited.popen.returncode})"))


def _fail(message: str) -> NoReturn:
    console_err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    raise typer.Exit(2)


def _render(run: DemoRun, hint: bool) -> None:
    table = Table(title="interlock demo")
    for column in ("process", "url", "pid"):
        table.add_column(column)
    for endpoint in run.endpoints:
        table.add_row(endpoint.name, endpoint.url, str(endpoint.pid))
    console.print(table)
    console.print(f"Logs: {Path(run.endpoints[0].log).parent}/   pids: {run.state_file}")
    gateway = next(e.url for e in run.endpoints if e.name == "gateway")
    console.print(f"Dashboard: {run.dashboard_url}")
    console.print(
        f"Place an order:  curl -X POST {gateway}/orders "
        "-H 'content-type: application/json' -d '{\"product_id\": 1, \"quantity\": 2}'",
        markup=False,
    )
    if hint:
        console.print(f"Open {run.dashboard_url} in your browser. Press Ctrl-C to stop.")
    else:
        console.print("Press Ctrl-C to stop.")
