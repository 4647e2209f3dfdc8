"""`interlock chaos`: fault injection in front of real dependencies, and experiments.

`chaos proxy` runs a TCP fault proxy controlled through Toxiproxy's HTTP API; `chaos run`
runs a Chaos Toolkit experiment; `chaos verify` checks a service's declared timeouts.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from interlock.chaos import ChaosProxyServer, run_chaos_proxy
from interlock.cli.options import port_option
from interlock.cli.output import EXIT_CODES, Format, console, print_json

app = typer.Typer(
    help="Faults in front of real dependencies.\n\n" + EXIT_CODES, no_args_is_help=True
)


@app.command("proxy")
def proxy(
    host: str = typer.Option("127.0.0.1", "--host", help="Address for the control API."),
    port: int = port_option(
        8474, "--port", help="Port for the control API (Toxiproxy's default; 0 = free).", free=True
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Toxiproxy config: a JSON array of proxies to create at start."
    ),
    output: Format = typer.Option(
        Format.text, "--format", "-f", help="text or json (the proxies)."
    ),
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


@app.command("run")
def run(
    experiment: Path = typer.Argument(
        ..., help="A Chaos Toolkit experiment (JSON or YAML).", metavar="EXPERIMENT"
    ),
    var: list[str] = typer.Option(
        [],
        "--var",
        help="A configuration value, key=value (as `chaos run --var`). Repeatable.",
        metavar="KEY=VALUE",
    ),
    journal_path: Path | None = typer.Option(
        None,
        "--journal-path",
        help="Also write the journal here (it is always kept under --data-dir).",
        metavar="PATH",
    ),
    rollback_strategy: str = typer.Option(
        "default",
        "--rollback-strategy",
        help="default, always, never or deviated (as Chaos Toolkit's).",
    ),
    data_dir: Path = typer.Option(
        Path(".interlock"),
        "--data-dir",
        envvar="INTERLOCK_DATA_DIR",
        help="Where journals are kept (the /chaos page reads them).",
    ),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Run a Chaos Toolkit experiment with Chaos Toolkit's own runner and write its journal.

    Interlock's actions and probes are `type: python` providers of the modules
    `interlock.chaos.actions` (faults on stubs, toxics on the proxy, traffic) and
    `interlock.chaos.probes` (error rate and latency from the span store).

    Exit codes: 0 completed with the steady state held, 1 deviated or failed, 2 an invalid
    experiment or option.
    """
    from interlock.chaos import run_experiment_file
    from interlock.chaos.experiment import ROLLBACK_STRATEGIES
    from interlock.errors import UserInputError

    if rollback_strategy not in ROLLBACK_STRATEGIES:
        raise UserInputError(
            f"--rollback-strategy: expected one of {', '.join(ROLLBACK_STRATEGIES)}, found {rollback_strategy!r}"
        )
    configuration: dict[str, str] = {}
    for item in var:
        key, found, value = item.partition("=")
        if not found or not key:
            raise UserInputError(f"--var {item!r}: expected KEY=VALUE")
        configuration[key] = value
    result = run_experiment_file(
        experiment,
        data_dir,
        journal_path=journal_path,
        configuration=configuration,
        rollback_strategy=rollback_strategy,
    )
    summary = result.summary()
    if output is Format.json:
        print_json(summary)
    else:
        verdict = (
            "[green]passed[/]"
            if result.passed
            else "[red]deviated[/]"
            if result.deviated
            else f"[red]{result.status}[/]"
        )
        console.print(f"[bold]{escape(summary['title'])}[/]: {verdict}")
        for phase in ("before", "after"):
            state = summary[phase]
            if state:
                for probe in state["probes"]:
                    mark = "✓" if probe["tolerance_met"] else "✗"
                    console.print(
                        f"  steady state {phase}: {mark} {escape(str(probe['name']))} = {escape(str(probe['output']))}"
                    )
        console.print(f"journal: {escape(str(result.journal_path))}")
    raise typer.Exit(0 if result.passed else 1)


@app.command("verify")
def verify(
    service: str = typer.Option(
        ..., "--service", help="The caller whose declared calls are verified."
    ),
    config: Path = typer.Option(
        Path("interlock.yaml"),
        "--config",
        help="interlock.yaml with the `resilience:` expectations.",
        metavar="FILE",
    ),
    caller_url: str = typer.Option(
        ...,
        "--caller-url",
        help="A URL of the service whose handling makes the calls.",
        metavar="URL",
    ),
    stub_admin: str = typer.Option(
        ...,
        "--stub-admin",
        help="The admin API of the stub server standing in for its dependencies.",
        metavar="URL",
    ),
    data_dir: Path = typer.Option(
        Path(".interlock"),
        "--data-dir",
        envvar="INTERLOCK_DATA_DIR",
        help="The span store the service's traces go to; journals are kept here.",
    ),
    database_url: str = typer.Option(
        "",
        "--database-url",
        help="A PostgreSQL span store instead of the SQLite one in --data-dir.",
    ),
    experiment: list[str] = typer.Option(
        [],
        "--experiment",
        help="timeout, retries or breaker (repeatable; default: each one the declaration calls for).",
    ),
    callee: str | None = typer.Option(
        None, "--callee", help="Verify only the call to this dependency."
    ),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Verify a service's declared timeouts, retries and circuit breakers with built-in experiments.

    timeout: the callee's stub is slowed well past the declared timeout while traffic goes
    through the service; its client spans must end within the timeout (plus a slack).
    retries: the callee fails every call; no request may call it more than 1 + retries times.
    breaker: the callee is dead; once the breaker opens, requests stop reaching it, and the
    service answers again soon after the callee returns.

    Exit codes: 0 every expectation holds, 1 one is not met, 2 bad input.
    """
    from interlock.chaos import EXPERIMENTS, Target, verify_resilience

    target = Target(caller_url, stub_admin, data_dir, database_url)
    verdicts = verify_resilience(
        config, service, target, tuple(experiment) or EXPERIMENTS, callee=callee
    )
    if output is Format.json:
        print_json(
            {
                "service": service,
                "passed": all(v.passed for v in verdicts),
                "verdicts": [v.to_json() for v in verdicts],
            }
        )
    else:
        for verdict in verdicts:
            mark = "[green]✓[/]" if verdict.passed else "[red]✗[/]"
            console.print(f"{mark} {escape(verdict.message)}")
    raise typer.Exit(0 if all(v.passed for v in verdicts) else 1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="chaos")
