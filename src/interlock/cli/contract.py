"""`interlock contract`: HTTP contracts in the Pact format; `verify` replays pacts against a provider."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from interlock.cli.output import console, print_json
from interlock.contracts import (
    VerificationReport,
    VerifyOptions,
    report_to_json,
    report_to_junit,
    verify_pacts,
)
from interlock.errors import UserInputError

app = typer.Typer(
    help="HTTP contracts (Pact v2-v4 files): verify them against a running provider.",
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
    pacts: list[Path] = typer.Argument(..., help="Pact files, or directories of them."),
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
    output: VerifyFormat = typer.Option(VerifyFormat.text, "--format", help="text, json or junit."),
    message_url: str | None = typer.Option(
        None, "--message-url", help="POST endpoint that produces a message for a description."
    ),
    jobs: int = typer.Option(
        1, "--jobs", min=1, help="Interactions run at once (never two sharing a provider state)."
    ),
) -> None:
    """Replay every interaction of the pacts against a running provider and match its responses.

    Provider states are set up and torn down by POSTing {"state", "params", "action"} to --state-url. Message interactions are verified by POSTing {"description", "providerStates"} to --message-url, which answers with the message (metadata in a base64 JSON Pact-Message-Metadata header).

    Exit codes: 0 every interaction passed (pending ones may fail); 1 an interaction failed or could not run; 2 bad input (unreadable pact, bad option, no pact for the provider).
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
