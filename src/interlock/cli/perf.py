"""`interlock perf`: load tests of one service (`run`), and regression checks against a baseline (`check`).

Thin: each command parses its flags, calls one function of `interlock.perf`, and renders the
result (a Rich table for people, `--format json` for machines, a JUnit file for CI).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli.options import data_dir_option, database_url_option, output_option
from interlock.cli.output import (
    EXIT_CODES,
    console,
    console_err,
    print_json,
    render_to_text,
    write_output,
)
from interlock.errors import UserInputError

if TYPE_CHECKING:
    from rich.console import Console

    from interlock.perf import Comparison, LoadTestReport
    from interlock.settings import Settings

app = typer.Typer(
    help="Load tests, thresholds and regression checks.\n\n" + EXIT_CODES, no_args_is_help=True
)

DATA_DIR = data_dir_option("Where Interlock keeps its data (runs are stored there).")
DATABASE_URL = database_url_option()


class PerfFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


FORMAT = typer.Option(
    PerfFormat.text, "--format", "-f", help="text, json or github (workflow annotations)."
)


def _seconds(text: str, flag: str) -> float:
    from interlock.telemetry import parse_duration_s

    try:
        return parse_duration_s(text)
    except UserInputError:
        raise UserInputError(
            f"{flag} {text!r}: expected a duration such as 30s, 2m or 500ms"
        ) from None


def _settings(data_dir: Path | None, database_url: str | None) -> Settings:
    from interlock.settings import load_settings

    return load_settings(data_dir=data_dir, database_url=database_url)


@app.command("run")
def run_command(
    target: str | None = typer.Option(
        None, "--target", help="The service's base URL (http://...).", metavar="URL"
    ),
    env_file: Path | None = typer.Option(
        None,
        "--env",
        help="An environment file: the service is started with its dependencies (as `env up`), loaded, stopped.",
        metavar="FILE",
    ),
    pacts: list[Path] = typer.Option(
        [],
        "--pacts",
        help="Pact files or directories: the traffic is the requests of the --service's interactions.",
        metavar="PATH",
    ),
    openapi: list[Path] = typer.Option(
        [],
        "--openapi",
        help="OpenAPI documents: the traffic is each operation's request, from its examples.",
        metavar="FILE",
    ),
    observed_latencies: bool = typer.Option(
        False,
        "--observed-latencies",
        help="With --env: each stubbed dependency answers with the latencies observed on its edge.",
    ),
    observed_mix: bool = typer.Option(
        False,
        "--observed-mix",
        help="Weigh the traffic's operations by the rates observed for the service.",
    ),
    observed_from: Path | None = typer.Option(
        None,
        "--observed-from",
        help="The data directory whose span store saw the service (default: --data-dir).",
        metavar="DIR",
    ),
    observed_window: str = typer.Option(
        "1h", "--observed-window", help="How far back the observations reach."
    ),
    scenario: Path | None = typer.Option(
        None,
        "--scenario",
        help="A scenario file: stages, think time, flows (YAML or JSON).",
        metavar="FILE",
    ),
    service: str | None = typer.Option(
        None, "--service", help="The service under test (the provider in its pacts)."
    ),
    rate: float = typer.Option(
        50.0, "--rate", help="Arrivals per second (when the scenario has no stages).", min=0.001
    ),
    duration: str = typer.Option(
        "10s", "--duration", help="How long to send (when the scenario has no stages)."
    ),
    threshold: list[str] = typer.Option(
        [],
        "--threshold",
        "-t",
        help="A limit, k6-style: 'p95<200ms', 'error_rate<1%', 'POST /orders: p99<500ms'. Repeatable.",
        metavar="EXPR",
    ),
    users: int | None = typer.Option(
        None,
        "--users",
        help="Concurrent Locust users (default: enough for 200 ms answers at the peak rate).",
        min=1,
    ),
    timeout: str = typer.Option("10s", "--timeout", help="How long one request may take."),
    repeat: int = typer.Option(
        1,
        "--repeat",
        help="Run this many times (each run stored): what `perf check` needs on noisy machines.",
        min=1,
    ),
    commit: str | None = typer.Option(
        None, "--commit", help="Store the runs under this commit (default: git HEAD)."
    ),
    store: bool = typer.Option(
        True, "--store/--no-store", help="Keep the runs in Interlock's database."
    ),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    junit: Path | None = typer.Option(
        None, "--junit", help="Write the thresholds as a JUnit XML report here.", metavar="PATH"
    ),
    format: PerfFormat = FORMAT,
    output: Path | None = output_option("Write the report to this file."),
) -> None:
    """Load one service at a constant arrival rate (open model) and check thresholds.

    Locust sends the traffic, headless, in a child process. Latencies are measured from each
    request's intended send time, so a stalling service is charged for the requests that
    queued behind the stall (no coordinated omission).

    Exit codes: 0 every threshold holds, 1 a threshold is violated, 2 bad input or a target
    that cannot be loaded.
    """
    from interlock.perf import (
        LoadTestRequest,
        SpanSource,
        Stage,
        load_test,
        parse_threshold,
        thresholds_to_junit,
    )

    settings = _settings(data_dir, database_url)
    request = LoadTestRequest(
        stages=(Stage(_seconds(duration, "--duration"), rate),),
        target=target,
        env_file=env_file,
        pacts=tuple(pacts),
        scenario=scenario,
        service=service,
        thresholds=tuple(parse_threshold(t) for t in threshold),
        users=users,
        timeout_s=_seconds(timeout, "--timeout"),
        repeat=repeat,
        commit=commit,
        database_url=settings.database_url if store else None,
        span_store=settings.data_dir,
        openapi=tuple(openapi),
        observed=SpanSource(
            observed_from or settings.data_dir, "", _seconds(observed_window, "--observed-window")
        ),
        observed_latencies=observed_latencies,
        observed_mix=observed_mix,
    )
    report = load_test(request)
    if junit is not None:
        write_output(junit, thresholds_to_junit(report.combined, report.thresholds), "--junit")
    from interlock.perf.annotations import thresholds_to_github

    _emit(
        format,
        output,
        report.to_json(),
        lambda to: _render_run(report, to),
        lambda: thresholds_to_github(report),
    )
    raise typer.Exit(0 if report.passed else 1)


@app.command("check")
def check_command(
    against: str = typer.Option(
        ...,
        "--against",
        help="The baseline: a commit, branch or tag with stored runs.",
        metavar="REF",
    ),
    service: str = typer.Option(..., "--service", help="The service whose runs are compared."),
    commit: str | None = typer.Option(
        None, "--commit", help="The current runs' commit (default: git HEAD)."
    ),
    min_change: float = typer.Option(
        5.0, "--min-change", help="Smallest change worth reporting, in percent.", min=0
    ),
    confidence: float = typer.Option(
        95.0,
        "--confidence",
        help="Confidence level of the intervals, in percent.",
        min=50,
        max=99.9,
    ),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    junit: Path | None = typer.Option(
        None,
        "--junit",
        help="Write the comparison as a JUnit XML report here (a failure per regression).",
        metavar="PATH",
    ),
    format: PerfFormat = FORMAT,
    output: Path | None = output_option("Write the report to this file."),
) -> None:
    """Compare the current commit's runs with the baseline's: p50 and p95 per operation.

    A change is reported when its confidence interval (a bootstrap over runs and requests)
    excludes zero and it is at least --min-change: "p95 of POST /orders +18% (95% CI +11%…+25%)".
    When the runs kept their traces' span profiles, the report names the spans whose self
    time per request grew, with example trace ids.

    Exit codes: 0 no regression, 1 a regression, 2 bad input (no runs at the baseline...).
    """
    from interlock.perf import check_against
    from interlock.perf.annotations import comparison_to_github, comparison_to_junit

    comparison = check_against(
        _settings(data_dir, database_url).database_url,
        service,
        against,
        commit=commit,
        min_change=min_change / 100,
        confidence=confidence / 100,
    )
    if junit is not None:
        write_output(junit, comparison_to_junit(comparison), "--junit")
    _emit(
        format,
        output,
        comparison.to_json(),
        lambda to: _render_check(comparison, to),
        lambda: comparison_to_github(comparison),
    )
    raise typer.Exit(1 if comparison.regressions else 0)


def _emit(
    format: PerfFormat,
    output: Path | None,
    data: object,
    render: Callable[[Console], None],
    github: Callable[[], str],
) -> None:
    import json
    import sys

    if format is PerfFormat.github:
        if output is None:
            sys.stdout.write(github())
        else:
            write_output(output, github())
        return
    if format is PerfFormat.json:
        if output is None:
            print_json(data)
        else:
            write_output(output, json.dumps(data, indent=2, default=str) + "\n")
        return
    if output is None:
        render(console)
    else:
        write_output(output, render_to_text(render))


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _render_run(report: LoadTestReport, to: Console) -> None:
    run = report.combined
    generator = run.generator
    to.print(
        f"[bold]{escape(run.service)}[/] at {escape(run.target)}: {run.requests} requests in "
        f"{run.duration_s:g}s, {run.achieved_rate:.1f}/s (target {run.target_rate:g}/s), "
        f"{len(report.runs)} run(s), commit {escape(run.commit[:12])}"
    )
    table = Table(
        "operation",
        "requests",
        "errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        title="latency from the intended send time",
    )
    for op in [*run.operations.values(), run.overall()]:
        s = op.summary()
        table.add_row(
            escape(op.name),
            str(op.requests),
            f"{op.error_rate * 100:.2f}%",
            _ms(s["p50_ms"]),
            _ms(s["p95_ms"]),
            _ms(s["p99_ms"]),
            _ms(s["max_ms"]),
        )
    to.print(table)
    to.print(
        f"generator: {generator.get('users', 0):g} users, CPU {generator.get('cpu_s', 0):.2f}s, "
        f"send lag p99 {generator.get('send_lag_p99_ms', 0):.1f} ms"
    )
    for result in report.thresholds:
        mark = "[green]✓[/]" if result.passed else "[red]✗[/]"
        to.print(f"{mark} {escape(result.message)}")
    for dependency, seen in report.observed.get("latencies", {}).items():
        figures = (
            f"p50 {seen['p50_ms']} ms, p95 {seen['p95_ms']} ms over {seen['calls']} calls"
            if seen.get("calls")
            else seen.get("note", "")
        )
        to.print(f"stub {escape(dependency)}: observed latencies, {escape(figures)}")
    for warning in report.warnings:
        console_err.print(f"[yellow]warning:[/] {escape(warning)}")
    if report.stored:
        ids = ", ".join(str(r.id) for r in report.runs)
        to.print(f"stored as run {ids}")


def _render_check(comparison: Comparison, to: Console) -> None:
    to.print(
        f"[bold]{escape(comparison.service)}[/]: {comparison.current_runs} run(s) at "
        f"{escape(comparison.current_commit[:12])} against {comparison.baseline_runs} at "
        f"{escape(comparison.baseline_commit[:12])}"
    )
    table = Table("operation", "metric", "baseline ms", "current ms", "change", "CI", "verdict")
    for c in comparison.changes:
        verdict = (
            "[red]slower[/]" if c.regression else "[green]faster[/]" if c.improvement else "same"
        )
        ci = f"{c.ci_low * 100:+.0f}%…{c.ci_high * 100:+.0f}%"
        table.add_row(
            escape(c.operation),
            c.metric,
            _ms(c.baseline),
            _ms(c.current),
            f"{c.change * 100:+.1f}%",
            ci,
            verdict,
        )
    to.print(table)
    for c in comparison.regressions:
        to.print(f"[red]regression:[/] {escape(c.message)}")
    for c in comparison.improvements:
        to.print(f"[green]improvement:[/] {escape(c.message)}")
    if comparison.regressions and comparison.spans:
        to.print("why (self time per request in the runs' traces):")
        for span in comparison.spans:
            examples = ", ".join(span.examples) or "none kept"
            to.print(f"  {escape(span.message)} — example traces: {escape(examples)}")
    if not comparison.regressions:
        to.print("no regression")
    for note in comparison.notes:
        to.print(f"[yellow]note:[/] {escape(note)}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="perf")
