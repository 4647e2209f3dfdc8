"""`interlock stub` and `interlock fault`: stubs of dependent services, recordings, HTTP faults.

Thin: parse, call one function of `interlock.stubs`, render (Rich, or `--format json`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from interlock.cli.options import first_port, port_option, writable_directory
from interlock.cli.output import EXIT_CODES, Format, console, output_errors, print_json
from interlock.stubs import (
    RecordingServer,
    StubServer,
    add_fault,
    broker_sources,
    list_faults,
    load_fault_config,
    load_services,
    remove_faults,
    trust_line,
)

app = typer.Typer(
    help="Stubs of dependent services from contracts, specs and recordings.\n\n" + EXIT_CODES,
    no_args_is_help=True,
)
fault_app = typer.Typer(help="HTTP faults on running stubs.\n\n" + EXIT_CODES, no_args_is_help=True)


@app.command("serve")
def serve(
    sources: list[str] = typer.Argument(
        None,
        help="Pact files, OpenAPI documents, WireMock mappings or directories; `name=PATH` names the service.",
        show_default=False,
    ),
    port: int | None = port_option(
        None,
        "--port",
        help="One port for every service (routed by Host header or /<service> prefix).",
    ),
    ports: str = typer.Option(
        "auto", "--ports", help="`auto` (a free port each) or the first port."
    ),
    admin_port: int | None = port_option(
        None, "--admin-port", help="A port for the admin API (else /__admin on every stub port)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for generated values (deterministic)."),
    faults: Path | None = typer.Option(None, "--faults", help="A YAML/JSON file of faults to set."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    broker: str | None = typer.Option(
        None,
        "--broker",
        help="Also serve the latest pact of --consumer with each --provider from this broker.",
    ),
    consumer: str | None = typer.Option(
        None, "--consumer", help="The pacts' consumer (with --broker)."
    ),
    providers: list[str] = typer.Option(
        [],
        "--provider",
        help="A provider whose pact to serve, `NAME=PROVIDER` to name the service (with "
        "--broker; repeatable).",
    ),
    environment: str | None = typer.Option(
        None,
        "--environment",
        help="Trust the pact when the provider version deployed here verified it (with --broker; "
        "default: any provider version).",
    ),
    broker_token: str | None = typer.Option(
        None,
        "--broker-token",
        envvar=["INTERLOCK_BROKER_TOKEN", "PACT_BROKER_TOKEN"],
        help="A broker token with the read role (with --broker).",
    ),
    output: Format = typer.Option(
        Format.text, "--format", "-f", help="text or json (the services)."
    ),
) -> None:
    """Serve stubs of one or many services in one process until Ctrl-C.

    A stub from --broker carries its trust verdict (verified, provider_version, environment)
    in the admin API's /services.

    Exit codes: 0 stopped, 2 a source that cannot be read, a broker that cannot answer or a
    port that cannot be opened.
    """
    brokers = broker_sources(broker, consumer, providers, environment, broker_token)
    services = load_services(sources or [], seed=seed, brokers=brokers)
    if faults is not None:
        load_fault_config(faults, services)
    if port is not None:
        server = StubServer(
            services, host, port, per_service=False, admin_port=admin_port, seed=seed
        )
    else:
        first = first_port(ports, "--ports", len(services)) or 0
        server = StubServer(services, host, first, admin_port=admin_port, seed=seed)
    endpoints = server.endpoints()
    if output is Format.json:
        print_json({"admin": server.admin_url, "services": [e.__dict__ for e in endpoints]})
    else:
        table = Table("service", "stubs")
        table.add_column("url", no_wrap=True)  # a URL cut short is useless
        table.add_column("source", overflow="fold")
        for endpoint in endpoints:
            table.add_row(endpoint.name, str(endpoint.stubs), endpoint.url, endpoint.source)
        console.print(table)
        for service in services:
            if service.trust is not None:
                console.print(f"{service.name}: {trust_line(service.trust)}")
        console.print(f"admin API: [bold]{server.admin_url}[/] (Ctrl-C to stop)")
    sys.stdout.flush()  # whoever reads the URLs through a pipe needs them now
    server.serve()


@app.command("record")
def record(
    target: str = typer.Option(..., "--target", help="URL of the real service to record."),
    port: int = port_option(
        0, "--port", help="Port the recording proxy listens on (0 = free).", free=True
    ),
    out: Path = typer.Option(
        Path(".interlock/recordings"),
        "--out",
        help="Directory for the pact (made if missing).",
        callback=writable_directory,
    ),
    consumer: str = typer.Option(
        "recorded-consumer", "--consumer", help="Consumer name in the pact."
    ),
    provider: str | None = typer.Option(
        None, "--provider", help="Provider name (default: target host)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    output: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text or json: one object with the proxy's URL at start, one with the pact written.",
    ),
) -> None:
    """Proxy to --target and write what passes through as a Pact v4 file on Ctrl-C.

    Exit codes: 0 written, 2 a bad target URL or a port that cannot be opened.
    """
    server = RecordingServer(target, out, port, host, consumer, provider)
    if output is Format.json:
        print_json({"url": server.url, "target": target, "out": str(out)})
    else:
        console.print(
            f"recording {target} through [bold]{server.url}[/] (Ctrl-C to write the pact)"
        )
    sys.stdout.flush()
    with output_errors(out, "--out"):
        written = server.serve()
    interactions = len(server.proxy.interactions)
    if output is Format.json:
        print_json({"written": str(written), "interactions": interactions})
    else:
        console.print(f"wrote {interactions} interactions to {written}")


@fault_app.command("add")
def fault_add(
    stub_admin: str = typer.Option(..., "--stub-admin", help="Admin URL of the stub server."),
    service: str = typer.Option(..., "--service", help="The stubbed service."),
    fault_type: str = typer.Option(
        ...,
        "--type",
        help="latency, error, reset_peer, timeout, limit_data, bandwidth or slow_close.",
    ),
    route: str | None = typer.Option(None, "--route", help="Only this route, e.g. 'GET /orders'."),
    name: str | None = typer.Option(None, "--name", help="Fault name (default: type and route)."),
    latency_ms: int | None = typer.Option(None, "--latency-ms", help="latency: added delay."),
    jitter_ms: int | None = typer.Option(None, "--jitter-ms", help="latency: +/- random delay."),
    status: int | None = typer.Option(None, "--status", help="error: the status (default 503)."),
    share: float = typer.Option(1.0, "--share", help="Share of requests affected, 0 to 1."),
    first: int | None = typer.Option(None, "--first", help="error: only the first N requests."),
    timeout_ms: int | None = typer.Option(
        None, "--timeout-ms", help="timeout: hold (0 = forever); reset_peer: wait before reset."
    ),
    limit_bytes: int | None = typer.Option(None, "--bytes", help="limit_data: body bytes sent."),
    rate_kbps: int | None = typer.Option(None, "--rate-kbps", help="bandwidth: KB per second."),
    delay_ms: int | None = typer.Option(None, "--delay-ms", help="slow_close: delay before close."),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Add a fault to a service of a running stub server.

    Exit codes: 0 added, 2 a bad fault or a stub server that refuses it.
    """
    attributes: dict[str, Any] = {
        key: value
        for key, value in (
            ("latency", latency_ms),
            ("jitter", jitter_ms),
            ("status", status),
            ("first", first),
            ("timeout", timeout_ms),
            ("bytes", limit_bytes),
            ("rate", rate_kbps),
            ("delay", delay_ms),
        )
        if value is not None
    }
    fault: dict[str, Any] = {"type": fault_type, "toxicity": share, "attributes": attributes}
    if route:
        fault["route"] = route
    if name:
        fault["name"] = name
    result = add_fault(stub_admin, service, fault)
    if output is Format.json:
        print_json(result)
    else:
        console.print(f"fault [bold]{result['name']}[/] ({result['type']}) set on {service}")


@fault_app.command("list")
def fault_list(
    stub_admin: str = typer.Option(..., "--stub-admin", help="Admin URL of the stub server."),
    service: str = typer.Option(..., "--service", help="The stubbed service."),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """List the faults on a service. Exit codes: 0 listed, 2 an unreachable server."""
    faults = list_faults(stub_admin, service)
    if output is Format.json:
        print_json(faults)
        return
    table = Table("name", "type", "route", "share", "attributes", "hits")
    for item in faults:
        table.add_row(
            item["name"],
            item["type"],
            item["route"] or "all",
            str(item["toxicity"]),
            ", ".join(f"{k}={v}" for k, v in item["attributes"].items()),
            str(item["hits"]),
        )
    console.print(table)


@fault_app.command("remove")
def fault_remove(
    stub_admin: str = typer.Option(..., "--stub-admin", help="Admin URL of the stub server."),
    service: str = typer.Option(..., "--service", help="The stubbed service."),
    name: str | None = typer.Option(None, "--name", help="One fault (default: all)."),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Remove one fault or all of a service. Exit codes: 0 removed, 2 unknown fault or server."""
    remove_faults(stub_admin, service, name)
    if output is Format.json:
        print_json({"service": service, "removed": name or "all"})
    else:
        console.print(f"removed {'fault ' + name if name else 'all faults'} from {service}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stub")
    root.add_typer(fault_app, name="fault")
