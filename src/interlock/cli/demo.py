"""`interlock demo`: the example shop, its services and the server, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table
from rich.text import Text

from interlock.cli.output import console, console_err
from interlock.demo import DemoRun, Story, StoryTimings, start_demo
from interlock.processes import ProcessSet, ProcessStartError, sigterm_as_interrupt


def register(root: typer.Typer) -> None:
    root.command(name="demo")(demo)


def demo(
    data_dir: Path = typer.Option(
        Path(".interlock/demo"), "--data-dir", help="Databases, logs and the server's data."
    ),
    port: int = typer.Option(7878, "--port", help="Port of the Interlock server (dashboard)."),
    stub: list[str] = typer.Option(
        [],
        "--stub",
        help="Replace these services by stubs served from their pacts (comma-separated or repeated), e.g. orders,inventory.",
    ),
    story: bool = typer.Option(
        True,
        "--story/--no-story",
        help="Tell the story (contracts, migrations, traffic, a fault and its root cause) or only start the processes.",
    ),
    no_browser_hint: bool = typer.Option(
        False, "--no-browser-hint", help="Do not suggest opening the dashboard."
    ),
    timeout: float = typer.Option(
        60.0, "--timeout", help="Seconds to wait for every process to answer."
    ),
    fault_after: float = typer.Option(20.0, "--fault-after", hidden=True),
    fault_for: float = typer.Option(15.0, "--fault-for", hidden=True),
) -> None:
    """Start the example shop (four services) and the Interlock server, until Ctrl-C.

    Each process gets a free port and logs under DATA_DIR/logs; their pids are written to DATA_DIR/demo.json. Once all answer, the story runs in the background, one line per chapter: the pacts verified against the running services, inventory's proposed migrations checked (reports saved for the dashboard; a throwaway PostgreSQL for the dry run), steady traffic through gateway, then a fault in payments and the root cause it leads to (results also in DATA_DIR/story.json). Ctrl-C or SIGTERM stops every process it started.

    Exit codes: 0 stopped by Ctrl-C or SIGTERM; 2 something did not start or stopped on its own (the message names it and shows its last log lines), or a usage error.
    """
    stubbed = [name.strip() for item in stub for name in item.split(",") if name.strip()]
    timings = StoryTimings(fault_after_s=fault_after, fault_for_s=fault_for)
    teller: Story | None = None
    with sigterm_as_interrupt(), ProcessSet() as processes:
        try:
            console.print("Starting the Interlock server and the example shop…")
            run = start_demo(processes, data_dir, port, timeout, stubbed)
            _render(run, hint=not no_browser_hint)
            if story:
                teller = Story(run, _say, timings)
                teller.start()
            exited = processes.wait_for_exit()
        except KeyboardInterrupt:
            console.print("Stopping the demo…")
            return
        except ProcessStartError as error:
            _fail(str(error))
        finally:
            if teller is not None:  # before the processes: its traffic and PostgreSQL first
                _stop_story(teller)
        _fail(exited.describe_failure(f"stopped on its own (exit code {exited.popen.returncode})"))


def _stop_story(teller: Story) -> None:
    while True:
        try:
            teller.stop()
            return
        except KeyboardInterrupt:
            continue  # a second Ctrl-C: the throwaway PostgreSQL must still go


def _say(line: str) -> None:
    console.print(line, soft_wrap=True, highlight=False)


def _fail(message: str) -> NoReturn:
    console_err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
    raise typer.Exit(2)


def _render(run: DemoRun, hint: bool) -> None:
    table = Table(title="interlock demo")
    for column in ("process", "url", "pid"):
        table.add_column(column)
    for endpoint in run.endpoints:
        name = f"{endpoint.name} (stub)" if endpoint.name in run.stubbed else endpoint.name
        table.add_row(name, endpoint.url, str(endpoint.pid))
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
