"""`interlock contract`: HTTP contracts in the Pact format; `verify` replays pacts against a provider."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from interlock.cli.output import EXIT_CODES, Format, console, print_json
from interlock.contracts import (
    ChangeSeverity,
    CompatReport,
    SpecDiff,
    VerificationReport,
    VerifyOptions,
    check_pacts_against_spec,
    compat_to_json,
    diff_specs,
    diff_to_json,
    report_to_json,
    report_to_junit,
    verify_pacts,
)
from interlock.errors import UserInputError

app = typer.Typer(
    help="HTTP contracts (Pact v1-v4 files): verify against a running provider, check against OpenAPI, diff API versions.\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)


class VerifyFormat(StrEnum):
    """Output of `verify`: for people (text), machines (json) or CI test reports (junit)."""

    text = "text"
    json = "json"
    junit = "junit"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="contract")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UserInputError(f"--header {text!r}: expected 'Name: value'")
    return name.strip(), value.strip()


@app.command()
def verify(
    pacts: list[Path] = typer.Argument(
        None, help="Pact files, or directories of them (none with --broker)."
    ),
    provider: str = typer.Option(..., "--provider", help="The provider's name in the pacts."),
    base_url: str = typer.Option(..., "--base-url", help="Where the running provider answers."),
    state_url: str | None = typer.Option(
        None, "--state-url", help="POST endpoint that sets up and tears down provider states."
    ),
    header: list[str] = typer.Option(
        [], "--header", help="'Name: value' added to every request (repeatable)."
    ),
    filter_: str | None = typer.Option(
        None, "--filter", help="Only interactions whose description matches this regex."
    ),
    output: VerifyFormat = typer.Option(
        VerifyFormat.text, "--format", "-f", help="text, json or junit."
    ),
    message_url: str | None = typer.Option(
        None, "--message-url", help="POST endpoint that produces a message for a description."
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, help="Interactions run at once (never two sharing a provider state)."
    ),
    broker: str | None = typer.Option(
        None, "--broker", help="Verify the pacts this Pact Broker selects (its base URL)."
    ),
    provider_version: str | None = typer.Option(
        None, "--provider-version", help="The provider version verified (with --broker)."
    ),
    provider_branch: str | None = typer.Option(
        None, "--provider-branch", help="The provider version's branch (with --broker)."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Publish each pact's result to the broker."
    ),
    broker_token: str | None = typer.Option(
        None,
        "--broker-token",
        envvar=["INTERLOCK_BROKER_TOKEN", "PACT_BROKER_TOKEN"],
        help="A broker token (with --broker; publishing needs the verify role).",
    ),
) -> None:
    """Replay every interaction of the pacts against a running provider and match its responses.

    Provider states are set up and torn down by POSTing {"state", "params", "action"} to --state-url. Message interactions are verified by POSTing {"description", "providerStates"} to --message-url, which answers with the message (metadata in a base64 JSON Pact-Message-Metadata header).

    Exit codes: 0 every interaction passed (pending ones may fail); 1 an interaction failed or could not run; 2 bad input (unreadable pact, bad option or URL, no pact for the provider, nothing answering at a URL), before any interaction runs.
    """
    options = VerifyOptions(
        provider=provider,
        base_url=base_url,
        state_url=state_url,
        headers=tuple(_header(h) for h in header),
        description_filter=filter_,
        jobs=jobs,
        message_url=message_url,
    )
    if broker is not None:
        if not provider_version:
            raise UserInputError("--provider-version: required with --broker")
        from interlock.broker import verify_with_broker

        report = verify_with_broker(
            broker,
            options,
            provider_version,
            provider_branch=provider_branch,
            publish=publish,
            token=broker_token,
        )
    elif not pacts:
        raise UserInputError("PACTS: give pact files or directories, or --broker URL")
    else:
        report = verify_pacts(pacts, options)
    if output is VerifyFormat.json:
        print_json(report_to_json(report))
    elif output is VerifyFormat.junit:
        sys.stdout.write(report_to_junit(report))
    else:
        _render(report)
    raise typer.Exit(0 if report.passed else 1)


_MARK = {
    "passed": "[green]PASS[/]",
    "failed": "[red]FAIL[/]",
    "error": "[red]ERROR[/]",
    "skipped": "[yellow]SKIP[/]",
}


def _render(report: VerificationReport) -> None:
    current = None
    for result in report.results:
        if result.pact_file != current:
            current = result.pact_file
            console.print(
                f"[bold]{escape(result.consumer)} -> {escape(report.provider)}[/]  ({escape(current)})"
            )
        states = (
            f"  [dim]given {escape(', '.join(result.provider_states))}[/]"
            if result.provider_states
            else ""
        )
        pending = " [yellow](pending)[/]" if result.pending else ""
        console.print(f"  {_MARK[result.status]} {escape(result.description)}{states}{pending}")
        for mismatch in result.mismatches:
            console.print(f"      - {escape(str(mismatch))}")
        if result.error and result.status != "passed":
            console.print(f"      - {escape(result.error)}")
    counts = {s: sum(1 for r in report.results if r.status == s) for s in _MARK}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    verdict = "[green]verified[/]" if report.passed else "[red]not verified[/]"
    console.print(f"{len(report.results)} interaction(s): {summary or 'none'} — {verdict}")


@app.command()
def compat(
    pacts: list[Path] = typer.Argument(..., help="Pact files, or directories of them."),
    openapi: Path = typer.Option(
        ..., "--openapi", help="The provider's OpenAPI 3.0/3.1 document (YAML or JSON)."
    ),
    provider: str | None = typer.Option(
        None,
        "--provider",
        help="Check only the pacts of this provider (default: the spec's info.title when a pact names it).",
    ),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Check each pact interaction against the provider's OpenAPI document, without running anything.

    The request must fit an operation (path template, method, parameters, security, body and its content type); the expected response must be declared (status, headers, body shape read with the pact's matching rules: a `type` matcher stands for any value of its type).

    Exit codes: 0 every interaction is supported; 1 some are not (each reason names the place in the pact and in the spec); 2 bad input (unreadable or malformed spec or pact, named with its JSON path).
    """
    report = check_pacts_against_spec(pacts, openapi, provider)
    if output is Format.json:
        print_json(compat_to_json(report))
    else:
        _render_compat(report)
    raise typer.Exit(0 if report.supported else 1)


def _render_compat(report: CompatReport) -> None:
    current = None
    for result in report.results:
        if result.pact_file != current:
            current = result.pact_file
            console.print(
                f"[bold]{escape(result.consumer)} -> {escape(result.provider)}[/]"
                f"  ({escape(current)} against {escape(report.spec_file)})"
            )
        operation = f"  [dim]{escape(result.operation)}[/]" if result.operation else ""
        if result.skipped:
            console.print(
                f"  [yellow]SKIP[/] {escape(result.description)}  [dim]{result.skipped}[/]"
            )
            continue
        mark = "[green]OK[/]  " if result.supported else "[red]NO[/]  "
        console.print(f"  {mark} {escape(result.description)}{operation}")
        for problem in result.problems:
            console.print(f"      - {escape(str(problem))}  [dim]({escape(problem.pointer)})[/]")
    bad = sum(1 for r in report.results if not r.supported)
    verdict = "[green]supported by the spec[/]" if report.supported else "[red]not supported[/]"
    console.print(f"{len(report.results)} interaction(s), {bad} not supported — {verdict}")


@app.command()
def diff(
    old_spec: Path = typer.Argument(..., help="The OpenAPI document consumers use today."),
    new_spec: Path = typer.Argument(..., help="The proposed version."),
    pacts: list[Path] = typer.Option(
        [], "--pacts", help="Pact files or directories: show whom each change breaks (repeatable)."
    ),
    provider: str | None = typer.Option(
        None,
        "--provider",
        help="Use only the pacts of this provider (default: the spec's info.title when a pact names it).",
    ),
    output: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """List the changes between two versions of an OpenAPI document, breaking ones first.

    Each change has a severity (breaking, possibly breaking, compatible) and a JSON pointer into each document. With --pacts, each consumer interaction the old spec supports and the new one does not is tied to the changes that explain it (the compat check, run on both specs). A new enum value in a response is "possibly breaking": consumers that switch over the values they know may fail on it.

    Exit codes: 0 no consumer is broken (without --pacts: no breaking change); 1 a change breaks a consumer's interaction (without --pacts: any breaking change); 2 bad input (unreadable or malformed spec or pact).
    """
    result = diff_specs(old_spec, new_spec, pacts, provider)
    if output is Format.json:
        print_json(diff_to_json(result))
    else:
        _render_diff(result)
    raise typer.Exit(1 if result.failed else 0)


_SEVERITY = {
    ChangeSeverity.breaking: "[red]BREAKING[/]",
    ChangeSeverity.possibly_breaking: "[yellow]POSSIBLY BREAKING[/]",
    ChangeSeverity.compatible: "[green]compatible[/]",
}


def _render_diff(result: SpecDiff) -> None:
    console.print(f"[bold]{escape(result.old_spec)} -> {escape(result.new_spec)}[/]")
    for change in result.changes:
        console.print(f"  {_SEVERITY[change.severity]}  {escape(change.message)}")
        pointers = f"old {change.old_pointer or '-'}   new {change.new_pointer or '-'}"
        console.print(f"      [dim]{escape(pointers)}[/]")
        for place in change.places[1:]:
            console.print(f"      [dim]also at {escape(place)}[/]")
        for hit in change.breaks:
            console.print(
                f"      [red]breaks[/] {escape(hit.consumer)}: {escape(hit.description)}"
                f"  [dim]({escape(hit.pact_file)})[/]"
            )
            for reason in hit.reasons:
                console.print(f"          - {escape(reason)}")
    for hit in result.unexplained:
        console.print(
            f"  [red]BROKEN[/] {escape(hit.consumer)}: {escape(hit.description)} by a change not listed above"
        )
        for reason in hit.reasons:
            console.print(f"      - {escape(reason)}")
    for hit in result.already_unsupported:
        console.print(
            f"  [yellow]note[/] {escape(hit.consumer)}: {escape(hit.description)} is not supported by the old spec either"
        )
    counts = {s: sum(1 for c in result.changes if c.severity is s) for s in ChangeSeverity}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if result.pacts_checked:
        consumers = sorted(
            {h.consumer for c in result.changes for h in c.breaks}
            | {h.consumer for h in result.unexplained}
        )
        hit_line = (
            f"[red]breaks {', '.join(consumers)}[/]"
            if consumers
            else f"[green]no consumer broken ({len(result.pact_files)} pact file(s))[/]"
        )
        console.print(f"{len(result.changes)} change(s): {summary} — {hit_line}")
    else:
        console.print(f"{len(result.changes)} change(s): {summary}")
