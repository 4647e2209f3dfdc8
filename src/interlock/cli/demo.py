"""`interlock demo`: the example shop, its services and the server, in one command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table

from interlock.cli.options import first_port, port_option
from interlock.cli.output import Format, console, console_err, print_error, print_json
from interlock.demo import (
    DEFAULT_FIRST_PORT,
    DemoRun,
    Story,
    StoryTimings,
    start_demo,
    start_detached,
    stop_detached,
)
from interlock.processes import ProcessSet, ProcessStartError, sigterm_as_interrupt


def register(root: typer.Typer) -> None:
    root.command(name="demo")(demo)


def demo(
    data_dir: Path = typer.Option(
        Path(".interlock/demo"), "--data-dir", help="Databases, logs and the server's data."
    ),
    port: int = port_option(7878, "--port", help="Port of the Interlock server (dashboard)."),
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
    shop_ports: str = typer.Option(
        str(DEFAULT_FIRST_PORT),
        "--shop-ports",
        help="The first of the shop's four ports (gateway, inventory, orders, payments), or `auto` for free ones.",
    ),
    detach: bool = typer.Option(
        False,
        "--detach",
        help="Run in the background; return once every process answers (stop it with --stop).",
    ),
    stop: bool = typer.Option(
        False, "--stop", help="Stop the demo that --detach started from DATA_DIR, and exit."
    ),
    output: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text or json: once all answer, one object with the dashboard and every process "
        "(the story's lines then go to stderr).",
    ),
    fault_after: float = typer.Option(20.0, "--fault-after", hidden=True),
    fault_for: float = typer.Option(15.0, "--fault-for", hidden=True),
) -> None:
    """Start the example shop (four services) and the Interlock server, until Ctrl-C.

    The shop's services listen on the four ports from --shop-ports (the server on --port), each process logs under DATA_DIR/logs; their pids are written to DATA_DIR/demo.json. Once all answer, the story runs in the background, one line per chapter: the pacts verified against the running services, inventory's proposed migrations checked (reports saved for the dashboard; a throwaway PostgreSQL for the dry run), steady traffic through gateway, then a fault in payments and the root cause it leads to (results also in DATA_DIR/story.json). Ctrl-C or SIGTERM stops every process it started.

    With --detach it runs in the background (output in DATA_DIR/logs/demo.log) and the command returns once every process answers; `interlock demo --stop` stops it.

    Exit codes: 0 stopped by Ctrl-C or SIGTERM (with --detach: started; with --stop: stopped, or none ran); 2 something did not start or stopped on its own (the message names it and shows its last log lines), or a usage error.
    """
    as_json = output is Format.json
    if stop:
        pid = stop_detached(data_dir)
        if as_json:
            print_json({"stopped": pid})
        else:
            console.print(f"Stopped the demo (pid {pid})." if pid else "No demo runs from there.")
        return
    shop_first_port = first_port(shop_ports, "--shop-ports", 4)
    stubbed = [name.strip() for item in stub for name in item.split(",") if name.strip()]
    if detach:
        args = [
            f"--port={port}",
            f"--shop-ports={shop_ports}",
            f"--timeout={timeout}",
            f"--fault-after={fault_after}",
            f"--fault-for={fault_for}",
            "--story" if story else "--no-story",
            *(f"--stub={name}" for name in stubbed),
        ]
        try:
            run = start_detached(args, data_dir, timeout * 2 + 30)
        except ProcessStartError as error:
            _fail(str(error), as_json)
        _render(run, hint=not no_browser_hint, detached=True, as_json=as_json)
        return
    timings = StoryTimings(fault_after_s=fault_after, fault_for_s=fault_for)
    teller: Story | None = None
    with sigterm_as_interrupt(), ProcessSet() as processes:
        try:
            say = _say_err if as_json else _say  # stdout keeps to the one JSON object
            say("Starting the Interlock server and the example shop…")
            run = start_demo(processes, data_dir, port, timeout, stubbed, shop_first_port)
            _render(run, hint=not no_browser_hint, as_json=as_json)
            if story:
                teller = Story(run, say, timings)
                teller.start()
            exited = processes.wait_for_exit()
        except KeyboardInterrupt:
            say("Stopping the demo…")
            return
        except ProcessStartError as error:
            _fail(str(error), as_json)
        finally:
            if teller is not None:  # before the processes: its traffic and PostgreSQL first
                _stop_story(teller)
        _fail(
            exited.describe_failure(f"stopped on its own (exit code {exited.popen.returncode})"),
            as_json,
        )


def _stop_story(teller: Story) -> None:
    while True:
        try:
            teller.stop()
            return
        except KeyboardInterrupt:
            continue  # a second Ctrl-C: the throwaway PostgreSQL must still go


def _say(line: str) -> None:
    console.print(line, soft_wrap=True, highlight=False)


def _say_err(line: str) -> None:
    console_err.print(line, soft_wrap=True, highlight=False)


def _fail(message: str, as_json: bool) -> NoReturn:
    print_error(message, as_json=as_json)
    raise typer.Exit(2)


def _render(run: DemoRun, hint: bool, detached: bool = False, as_json: bool = False) -> None:
    if as_json:
        processes = [
            {"name": e.name, "url": e.url, "pid": e.pid, "stub": e.name in run.stubbed}
            for e in run.endpoints
        ]
        print_json(
            {
                "dashboard": run.dashboard_url,
                "processes": processes,
                "logs": str(Path(run.endpoints[0].log).parent),
                "state_file": str(run.state_file),
                "detached": detached,
            }
        )
        sys.stdout.flush()  # whoever reads the URLs through a pipe needs them now
        return
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
        console.print(f"Open {run.dashboard_url} in your browser.")
    if detached:
        console.print(
            f"Running in the background; stop it with: interlock demo --stop --data-dir {run.data_dir}"
        )
    else:
        console.print("Press Ctrl-C to stop.")
