"""`interlock chaos`: fault injection in front of real dependencies.

`chaos proxy` runs a TCP fault proxy controlled through Toxiproxy's HTTP API.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from interlock.cli.output import Format, console, print_json
from interlock.stubs import ChaosProxyServer, run_chaos_proxy

app = typer.Typer(help="Faults in front of real dependencies.", no_args_is_help=True)


@app.command("proxy")
def proxy(
    host: str = typer.Option("127.0.0.1", help="Address for the control API."),
    port: int = typer.Option(8474, help="Port for the control API (Toxiproxy's default)."),
    config: Path | None = typer.Option(
        None, "--config", help="Toxiproxy config: a JSON array of proxies to create at start."
    ),
    output: Format = typer.Option(Format.text, "--format", help="text or json (the proxies)."),
) -> None:
    """Run a Toxiproxy-compatible TCP fault proxy until Ctrl-C.

    Any Toxiproxy client drives it through the HTTP API on --port: create proxies, add toxics.

    Toxics: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data.

    Exit codes: 0 stopped, 2 a bad config file or a port that cannot be opened.
    """

    def ready(server: ChaosProxyServer) -> None:
        proxies = [proxy.to_json() for proxy in server.collection.all()]
        if output is Format.json:
            print_json({"api": server.url, "proxies": proxies})
            return
        console.print(f"Toxiproxy-compatible API on [bold]{server.url}[/] (Ctrl-C to stop)")
        if proxies:
            table = Table("name", "listen", "upstream", "enabled")
            for item in proxies:
                table.add_row(item["name"], item["listen"], item["upstream"], str(item["enabled"]))
            console.print(table)

    run_chaos_proxy(host, port, config, ready)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="chaos")
