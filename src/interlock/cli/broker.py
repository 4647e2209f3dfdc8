"""`interlock broker`: publish contracts, record deployments and ask can-i-deploy of a Pact
Broker (Interlock's own at http://127.0.0.1:7878/broker, or any other)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from interlock.cli.output import Format, console, print_json
from interlock.errors import UserInputError

DEFAULT_BROKER = "http://127.0.0.1:7878/broker"

app = typer.Typer(
    help=(
        "The contract broker: publish pacts and database contracts, record deployments, "
        "ask can-i-deploy.\n\nExit codes: 0 success (deployable), 1 can-i-deploy says no, "
        "2 usage or input error."
    ),
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    from interlock.cli import broker_admin

    broker_admin.register(app)
    root.add_typer(app, name="broker")


def _token_option() -> Any:
    return typer.Option(
        None,
        "--broker-token",
        "-k",
        envvar=["INTERLOCK_BROKER_TOKEN", "PACT_BROKER_TOKEN"],
        help="A broker token (interlock broker token create).",
    )


def _broker_option() -> Any:
    return typer.Option(
        DEFAULT_BROKER,
        "--broker-url",
        "-b",
        envvar="INTERLOCK_BROKER_URL",
        help="The broker's base URL.",
    )


def _format_option() -> Any:
    return typer.Option(Format.text, "--format", "-f", help="text or json.")


def _contract_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.json")) + sorted(path.rglob("*.dbcontract.y*ml"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UserInputError(f"{path}: no such contract file or directory")
    if not files:
        raise UserInputError("PACTS: no pact (*.json) or database contract (*.dbcontract.yaml)")
    return files


@app.command()
def publish(
    pacts: list[Path] = typer.Argument(
        ..., help="Pact files, *.dbcontract.yaml files, or directories of them."
    ),
    consumer_version: str = typer.Option(
        ..., "--consumer-version", help="The consumer version that wrote them."
    ),
    branch: str | None = typer.Option(None, "--branch", help="The consumer version's branch."),
    tag: list[str] = typer.Option([], "--tag", help="Tag the version (repeatable)."),
    build_url: str | None = typer.Option(None, "--build-url", help="The CI build's URL."),
    broker_url: str = _broker_option(),
    broker_token: str | None = _token_option(),
    output: Format = _format_option(),
) -> None:
    """Publish contracts for a consumer version, with its branch and tags.

    Exit codes: 0 published, 2 bad input (an unreadable contract) or a broker that refuses or cannot be reached.
    """
    from interlock.broker import BrokerClient

    with BrokerClient(broker_url, broker_token) as client:
        answers = client.publish(
            _contract_files(pacts), consumer_version, branch, tuple(tag), build_url
        )
    if output is Format.json:
        print_json(answers)
        return
    for answer in answers:
        for notice in answer.get("notices", []):
            console.print(escape(notice["text"]))


@app.command("can-i-deploy")
def can_i_deploy(
    pacticipant: str = typer.Option(..., "--pacticipant", help="The application to deploy."),
    version: str | None = typer.Option(
        None, "--version", help="Its version (default: the latest)."
    ),
    to: str = typer.Option(..., "--to", "--to-environment", help="The environment."),
    broker_url: str = _broker_option(),
    broker_token: str | None = _token_option(),
    output: Format = _format_option(),
) -> None:
    """Can this version go to the environment? Every contract it has with what runs there
    must have been verified.

    Exit codes: 0 yes; 1 no (or unknown); 2 bad input or the broker cannot answer.
    """
    from interlock.broker import BrokerClient

    with BrokerClient(broker_url, broker_token) as client:
        answer = client.can_i_deploy(pacticipant, version, to)
    deployable = answer["summary"]["deployable"] is True
    if output is Format.json:
        print_json(answer)
    else:
        for row in answer["matrix"]:
            result = row["verificationResult"]
            mark = (
                "[dim]unknown[/]"
                if result is None
                else "[green]ok[/]"
                if result["success"]
                else "[red]failed[/]"
            )
            provider_version = (row["provider"]["version"] or {}).get("number", "-")
            console.print(
                f"  {escape(row['consumer']['name'])} {escape(row['consumer']['version']['number'])}"
                f" -> {escape(row['provider']['name'])} {escape(provider_version)}  {mark}"
            )
        verdict = "[green]yes[/]" if deployable else "[red]no[/]"
        console.print(f"can-i-deploy {escape(pacticipant)} to {escape(to)}: {verdict}")
        console.print(escape(answer["summary"]["reason"]))
    raise typer.Exit(0 if deployable else 1)


@app.command("record-deployment")
def record_deployment(
    pacticipant: str = typer.Option(..., "--pacticipant", help="The application deployed."),
    version: str = typer.Option(..., "--version", help="The version deployed."),
    environment: str = typer.Option(..., "--environment", "-e", help="Where it now runs."),
    instance: str | None = typer.Option(
        None, "--application-instance", help="Which instance, when several run there."
    ),
    broker_url: str = _broker_option(),
    broker_token: str | None = _token_option(),
    output: Format = _format_option(),
) -> None:
    """Record that a version now runs in an environment (it replaces the one before).

    Exit codes: 0 recorded, 2 bad input (an unknown environment) or a broker that refuses or cannot be reached.
    """
    from interlock.broker import BrokerClient

    with BrokerClient(broker_url, broker_token) as client:
        answer = client.record_deployment(pacticipant, version, environment, instance)
    if output is Format.json:
        print_json(answer)
    else:
        console.print(
            f"recorded: {escape(pacticipant)} {escape(version)} deployed to {escape(environment)}"
        )


@app.command("create-environment")
def create_environment(
    name: str = typer.Option(..., "--name", help="The environment's name."),
    production: bool = typer.Option(False, "--production", help="A production environment."),
    broker_url: str = _broker_option(),
    broker_token: str | None = _token_option(),
    output: Format = _format_option(),
) -> None:
    """Create an environment to record deployments to.

    Exit codes: 0 created, 2 bad input or a broker that refuses or cannot be reached.
    """
    from interlock.broker import BrokerClient

    with BrokerClient(broker_url, broker_token) as client:
        answer = client.create_environment(name, production)
    if output is Format.json:
        print_json(answer)
    else:
        console.print(f"created environment {escape(name)} ({answer['uuid']})")
